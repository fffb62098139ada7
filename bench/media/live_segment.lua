-- Random 500 kB segments at the live address (the size of a live rung's 2 s segment).
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/live/1/360p/seg_%05d.m4s", math.random(0, 59)))
end
