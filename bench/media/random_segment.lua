-- Random top-rung segment GETs.
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/media/1/1/720p/seg_%05d.m4s", math.random(0, 59)))
end
