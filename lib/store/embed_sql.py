#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Embed a .sql file as a C string constant: embed_sql.py IN OUT NAME"""
import json
import sys

src, out, name = sys.argv[1:4]
sql = open(src, encoding="utf-8").read()
with open(out, "w", encoding="utf-8") as f:
    f.write("/* generated from %s by embed_sql.py: do not edit */\n" % src.split("/")[-1])
    f.write("static const char %s[] =\n" % name)
    for line in sql.splitlines(True):
        f.write("\t%s\n" % json.dumps(line).replace("?", "\\?"))
    f.write("\t;\n")
