-- wrk script for the OIA Registry benchmark.
-- wrk -s bench.lua URL -- <mode> <api key> <file> [run id]
--   mode "paths": GET a random line of <file> (paths such as /api/v1/activities/<id>)
--   mode "post":  POST <file>'s JSON body with a unique identifier per request (run id, thread, counter)
-- done() prints one JSON line that bench/run.py reads.

local threads = {}
local tid_next = 0

function setup(thread)
   tid_next = tid_next + 1
   thread:set("tid", tid_next)
   table.insert(threads, thread)
end

local function read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if #line > 0 then table.insert(lines, line) end
   end
   return lines
end

function init(args)
   mode = args[1]
   headers = { ["Authorization"] = "Bearer " .. args[2] }
   counter = 0
   math.randomseed(os.time() + (tid or 0) * 7919)
   if mode == "post" then
      local file = io.open(args[3], "r")
      template = file:read("*a")
      file:close()
      run_id = args[4] or "run"
      headers["Content-Type"] = "application/json"
   else
      paths = read_lines(args[3])
   end
end

function request()
   if mode == "post" then
      counter = counter + 1
      local identifier = string.format("BENCH-W-%s-%d-%d", run_id, tid or 0, counter)
      local body = string.gsub(template, "__IDENTIFIER__", identifier)
      return wrk.format("POST", "/api/v1/activities", headers, body)
   end
   return wrk.format("GET", paths[math.random(#paths)], headers)
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, errors.status,
      errors.connect + errors.read + errors.write + errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
