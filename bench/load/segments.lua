-- GETs of HLS segments, in a random order over every segment URL listed in the file named
-- by $SEGMENT_URLS (one path a line, e.g. /media/1/1/360p/seg_00003.m4s).
local paths = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  local file = assert(io.open(os.getenv("SEGMENT_URLS") or "segments.txt"), "SEGMENT_URLS")
  for line in file:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  file:close()
  math.randomseed(tonumber(seed) or 1)
end

function request()
  return wrk.format("GET", paths[math.random(1, #paths)])
end

-- A consistency check on wrk's own figures: in a closed loop, mean latency x requests/s
-- (the requests in flight, Little's law) cannot exceed the number of connections.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("check: %d requests in %.2f s, mean latency %.1f ms, " ..
    "mean latency x rate = %.0f requests in flight\n", summary.requests, secs,
    latency.mean / 1000, latency.mean / 1e6 * summary.requests / secs))
end
