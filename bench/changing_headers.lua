-- wrk script for the hello_changing scenario (bench/run.py): every request
-- carries an X-Turn header counting up, so no head on a connection repeats
-- the header fields of the one before it, as a browser's mostly do not.
-- The plain scenarios send one fixed head, which jackfield's parser serves
-- from the last field section it read (kernel/http/_head.py).
local turn = 0

request = function()
  turn = turn + 1
  return wrk.format(nil, nil, { ["X-Turn"] = tostring(turn) })
end
