-- SPDX-License-Identifier: BSD-3-Clause
-- dpdk-pktgen Lua script (pktgen -f rate-steps.lua, after one of the .pkt
-- files has set up port 0): sends at 10 %, 20 %, ... 100 % of line rate,
-- STEP_S seconds each, and prints what pktgen sent per step (opackets
-- delta). Compare each step with darkcap's received / missed on the DUT
-- (darkcap-stat dump '^total/port'): the highest step with missed == 0 is
-- the rate darkcap keeps up with.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local STEP_S = 10

local function opackets()
	local st = pktgen.portStats(port, "port")
	return st[tonumber(port)].opackets
end

printf("rate_pct,seconds,sent,mpps\n")
for pct = 10, 100, 10 do
	pktgen.set(port, "rate", pct)
	local before = opackets()
	pktgen.start(port)
	pktgen.delay(STEP_S * 1000)
	pktgen.stop(port)
	pktgen.delay(500)
	local sent = opackets() - before
	printf("%d,%d,%d,%.3f\n", pct, STEP_S, sent, sent / STEP_S / 1e6)
end
