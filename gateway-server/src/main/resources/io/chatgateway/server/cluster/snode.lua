-- The caller's own slot: ARGV[6] = statistics (JSON), ARGV[7] = this run's token, ARGV[8] = its connections.
-- Returns { had its info (0/1), was reaped (0/1), another run wrote under this node id (0/1) }.
local info = nkey(SELF) .. ':info'
local had = redis.call('EXISTS', info)
local run = redis.call('HGET', info, 'run')
local other_run = 0
if run and run ~= ARGV[7] then
  other_run = 1
end
redis.call('HSET', info, 'run', ARGV[7], 'stats', ARGV[6], 'conns', ARGV[8])
redis.call('PEXPIRE', info, KEY_TTL)
local reaped = redis.call('DEL', nkey(SELF) .. ':reaped')
return { had, reaped, other_run }
