-- wrk script for bench/feed.py: every request carries the bearer token of a random
-- seeded account, so the load reads 2,000 different home feeds, not one cached feed.
-- Usage: wrk -s bench/feed.lua <url> -- <file with one raw token per line> [cookie]
-- With `cookie`, the token travels as the website's session cookie instead (bench/web_home.py).

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local tokens = {}
local header = "Authorization"

function init(args)
  local as_cookie = args[2] == "cookie"
  if as_cookie then
    header = "Cookie"
  end
  for line in io.lines(args[1]) do
    if #line > 0 then
      tokens[#tokens + 1] = (as_cookie and "shutter_session=" or "Bearer ") .. line
    end
  end
  if #tokens == 0 then
    error("no tokens in " .. tostring(args[1]))
  end
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function request()
  return wrk.format(nil, nil, { [header] = tokens[math.random(#tokens)] })
end
