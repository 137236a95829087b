#!/usr/bin/env perl
# SPDX-License-Identifier: BSD-3-Clause
#
# Write a MaxMind DB (.mmdb) from a simple text spec, for test_geo.
#
#   geo_mkdb.pl --layout iso|flat|asn --ip-version 4|6 [--record-size 24|28|32] SPEC OUT
#
# SPEC: one network per line, inserted in file order (a later insert
# overwrites what it covers, MaxMind::DB::Writer's "last insert wins"):
#
#   <network>\t<value>[\t<org>]
#
# network: CIDR (IPv4 notation is stored under ::/96 in an ip_version 6 DB).
# value, by layout:
#   iso   (GeoLite2-Country): XX    -> {country => {iso_code => XX, names},
#                                       registered_country => {iso_code => XX}}
#                             r:XX  -> {registered_country => {iso_code => XX}}
#                             -     -> {continent => {code => 'EU'}} (no country)
#   flat  (free layout):      XX    -> {country_code => XX};  - -> {country_name => 'none'}
#   asn   (GeoLite2-ASN):     N     -> {autonomous_system_number => N,
#                                       autonomous_system_organization => org}
#                             -     -> {autonomous_system_organization => org}
# Blank lines and '#' comments are skipped.
#
# ip_version 6 databases alias IPv4 into IPv6 as MaxMind's own do
# (alias_ipv6_to_ipv4: ::ffff:0:0/96, 2001::/32, 2002::/16 point at the
# ::/96 subtree). Reserved networks are kept (remove_reserved_networks off),
# so any prefix can be inserted.
use strict;
use warnings;

use Getopt::Long;
use MaxMind::DB::Writer::Tree;

my ( $layout, $ip_version, $record_size ) = ( 'iso', 6, 28 );
GetOptions(
    'layout=s'      => \$layout,
    'ip-version=i'  => \$ip_version,
    'record-size=i' => \$record_size,
) or die "usage: $0 --layout iso|flat|asn --ip-version 4|6 [--record-size N] SPEC OUT\n";
die "usage: $0 --layout iso|flat|asn --ip-version 4|6 [--record-size N] SPEC OUT\n"
    unless @ARGV == 2 && $layout =~ /^(iso|flat|asn)$/ && $ip_version =~ /^[46]$/;
my ( $spec, $out ) = @ARGV;

my %types = (
    country                        => 'map',
    registered_country             => 'map',
    continent                      => 'map',
    names                          => 'map',
    iso_code                       => 'utf8_string',
    code                           => 'utf8_string',
    en                             => 'utf8_string',
    country_code                   => 'utf8_string',
    country_name                   => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => $ip_version,
    record_size              => $record_size,
    database_type            => $layout eq 'asn' ? 'GeoLite2-ASN' : 'GeoLite2-Country',
    languages                => ['en'],
    description              => { en => "darkcap test_geo $layout database" },
    map_key_type_callback    => sub { $types{ $_[0] } },
    alias_ipv6_to_ipv4       => $ip_version == 6 ? 1 : 0,
    remove_reserved_networks => 0,
);

sub record {
    my ( $value, $org ) = @_;
    if ( $layout eq 'iso' ) {
        return { continent => { code => 'EU' } } if $value eq '-';
        return { registered_country => { iso_code => $1 } } if $value =~ /^r:(\w\w)$/;
        return {
            country => { iso_code => $value, names => { en => "Country $value" } },
            registered_country => { iso_code => $value },
        };
    }
    if ( $layout eq 'flat' ) {
        return { country_name => 'none' } if $value eq '-';
        return { country_code => $value };
    }
    my %r = ( autonomous_system_organization => $org // '' );
    $r{autonomous_system_number} = $value + 0 unless $value eq '-';
    return \%r;
}

open my $in, '<', $spec or die "$spec: $!\n";
while ( my $line = <$in> ) {
    chomp $line;
    next if $line =~ /^\s*(#|$)/;
    my ( $net, $value, $org ) = split /\t/, $line, 3;
    die "$spec:$.: expected <network>\\t<value>\n" unless defined $value;
    $tree->insert_network( $net, record( $value, $org ) );
}
close $in;

open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
