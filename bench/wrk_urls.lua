-- wrk script for bench/run's fetch-only ceiling: one pass over a URL list, then stop.
--
--   wrk -t1 -c2 -d3600s -s bench/wrk_urls.lua http://127.0.0.1:PORT -- urls.txt
--
-- urls.txt holds one request target (path and query, as the server logged it) a line: the
-- requests arkiv made in the same round. Each connection takes the next URL; once as many
-- responses arrived as the list is long, the script prints
--   wrk_urls: N responses in S s
-- (S from the first request to the last response, on the monotonic clock) and ends wrk at once:
-- wrk itself would otherwise sleep out its whole -d duration. wrk follows no redirects and parses
-- no bodies, so this is what the machine and the server can do for the same URLs with no crawler
-- in the way.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } wrk_urls_timespec;
  int clock_gettime(int clock, wrk_urls_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local now_buf = ffi.new("wrk_urls_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_buf)
  return tonumber(now_buf.tv_sec) + tonumber(now_buf.tv_nsec) * 1e-9
end

local paths = {}
local next_index = 1
local responses = 0
local started = nil

function init(args)
  local file = assert(io.open(args[1], "r"), "bench/wrk_urls.lua: cannot open the URL list")
  for line in file:lines() do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  file:close()
  assert(#paths > 0, "bench/wrk_urls.lua: the URL list is empty")
end

function request()
  if started == nil then
    started = now()
  end
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  responses = responses + 1
  if responses == #paths then
    io.write(string.format("wrk_urls: %d responses in %.6f s\n", responses, now() - started))
    io.flush()
    os.exit(0)
  end
end
