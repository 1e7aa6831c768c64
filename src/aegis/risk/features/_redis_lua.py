"""The Redis side of :class:`~aegis.risk.features.RedisState`: the same steps as
``_memory._touch`` and ``_memory._append``, in Lua, so that one transaction costs one round
trip and is applied atomically (two workers never interleave on a stream).

Numbers cross the boundary as ``%.17g`` text (Lua's own conversion keeps 14 digits only),
and both sides compute in IEEE doubles in the same order, so readings are bit-identical.

Keys, under the tenant's prefix ``P`` (``S`` = kind index + hashed entity value):
``P:h:S`` hash (head, seq, off, window cursors c1.., risk cursors rin r1.., per currency
``a:CUR`` = n1,s1,n2,s2,...,sumsq); ``P:l:S`` list, the log ``time|amount|currency``;
``P:m:S:CUR`` zset, suffix maxima (score time); ``P:p:S:CUR`` zset, amounts of the longest
window (member = absolute log index); ``P:d:S:J`` zset, attribute J's values by last seen;
``P:f:S`` hash, fraud labels ``tx -> time|usable_at``; ``P:x:TX`` the risk streams of a
transaction, for labels that come later.
"""

from __future__ import annotations

APPLY = r"""
local P = ARGV[1]
local read = ARGV[2] ~= 'w'
local write = ARGV[2] ~= 'r'
local txid = ARGV[3]
local t = tonumber(ARGV[4])
local amount = tonumber(ARGV[5])
local currency = ARGV[6]
local R = tonumber(ARGV[7])
local delay = tonumber(ARGV[8])
local ttl = ARGV[9]
local nw = tonumber(ARGV[10])
local W = {}
for i = 1, nw do W[i] = tonumber(ARGV[10 + i]) end
local pos = 11 + nw
local nr = tonumber(ARGV[pos])
local RW = {}
for j = 1, nr do RW[j] = tonumber(ARGV[pos + j]) end
pos = pos + nr + 1
local ns = tonumber(ARGV[pos])
pos = pos + 1

local out = {}
local refs = {}
local function f(x) return string.format('%.17g', x) end
local function push(x) out[#out + 1] = x end
local function unpack_agg(s)
  local a = {}
  for v in string.gmatch(s, '[^,]+') do a[#a + 1] = tonumber(v) end
  return a
end
local function pack_agg(a)
  local parts = {}
  for k = 1, #a do parts[k] = f(a[k]) end
  return table.concat(parts, ',')
end
local function amount_of(member) return string.match(member, '|(.*)$') end

for _ = 1, ns do
  local sid = ARGV[pos]
  local flags = ARGV[pos + 1]
  local na = tonumber(ARGV[pos + 2])
  local vals = {}
  for j = 1, na do vals[j] = ARGV[pos + 2 + j] end
  pos = pos + 3 + na
  local velocity = string.sub(flags, 1, 1) == '1'
  local moments = string.sub(flags, 2, 2) == '1'
  local risk = string.sub(flags, 3, 3) == '1'
  local H = P .. ':h:' .. sid
  local L = P .. ':l:' .. sid
  local F = P .. ':f:' .. sid
  local M = P .. ':m:' .. sid .. ':' .. currency
  local PK = P .. ':p:' .. sid .. ':' .. currency
  local raw = redis.call('HGETALL', H)
  local st = {}
  for k = 1, #raw, 2 do st[raw[k]] = raw[k + 1] end
  local head = tonumber(st['head'])
  if head ~= nil and head <= t - R then
    if write then
      local dead = {H, L, F}
      for field, _ in pairs(st) do
        if string.sub(field, 1, 2) == 'a:' then
          dead[#dead + 1] = P .. ':m:' .. sid .. ':' .. string.sub(field, 3)
          dead[#dead + 1] = P .. ':p:' .. sid .. ':' .. string.sub(field, 3)
        end
      end
      for j = 1, na do dead[#dead + 1] = P .. ':d:' .. sid .. ':' .. j end
      redis.call('DEL', unpack(dead))
    end
    st = {}
    head = nil
  end
  local fresh = head == nil
  local eff = t
  if head ~= nil and head >= t then eff = head end
  local seq = tonumber(st['seq'] or '0')
  local off = tonumber(st['off'] or '0')
  local cache = {}
  local function entry(i)
    local e = cache[i]
    if e == nil then
      local et, ea, ec = string.match(redis.call('LINDEX', L, i - off), '^([^|]*)|([^|]*)|(.*)$')
      e = {tonumber(et), tonumber(ea), ec}
      cache[i] = e
    end
    return e
  end

  local aggs = {}
  local cursors = {}
  if velocity then
    if read then
      if head ~= nil then push(f(eff - head)) else push('') end
    end
    local agg = nil
    if st['a:' .. currency] then
      agg = unpack_agg(st['a:' .. currency])
      aggs[currency] = agg
    end
    local sumsq, below, equal = 0, 0, 0
    if moments then
      if agg then sumsq = agg[2 * nw + 1] end
      if not fresh then
        below = redis.call('ZCOUNT', PK, '-inf', '(' .. f(amount))
        equal = redis.call('ZCOUNT', PK, f(amount), f(amount))
      end
    end
    for i = 1, nw do
      local bound = eff - W[i]
      local c = tonumber(st['c' .. i] or '0')
      local n, total = 0, 0
      if agg then n, total = agg[2 * i - 1], agg[2 * i] end
      local last = moments and i == nw
      while c < seq do
        local e = entry(c)
        local et, ea, ec = e[1], e[2], e[3]
        if et > bound then break end
        if write then
          local e_agg = aggs[ec]
          if e_agg == nil then
            e_agg = unpack_agg(st['a:' .. ec])
            aggs[ec] = e_agg
          end
          e_agg[2 * i - 1] = e_agg[2 * i - 1] - 1
          e_agg[2 * i] = e_agg[2 * i] - ea
          if last then
            e_agg[2 * nw + 1] = e_agg[2 * nw + 1] - ea * ea
            redis.call('ZREM', P .. ':p:' .. sid .. ':' .. ec, f(c))
          end
        end
        if ec == currency then
          n = n - 1
          total = total - ea
          if last then
            sumsq = sumsq - ea * ea
            if ea < amount then below = below - 1 elseif ea == amount then equal = equal - 1 end
          end
        end
        c = c + 1
      end
      cursors[i] = c
      if read then
        local high = ''
        if not fresh then
          local top = redis.call('ZRANGEBYSCORE', M, '(' .. f(bound), '+inf', 'LIMIT', 0, 1)
          if top[1] then high = amount_of(top[1]) end
        end
        push(f(seq - c))
        push(f(n))
        push(f(total))
        push(high)
      end
    end
    if read then
      for j = 1, na do
        local D = P .. ':d:' .. sid .. ':' .. j
        for i = 1, nw do
          if fresh then
            push('0')
          else
            push(f(redis.call('ZCOUNT', D, '(' .. f(eff - W[i]), '+inf')))
          end
        end
      end
      if moments then
        local horizon = eff - R
        for j = 1, na do
          if vals[j] == '' then
            push('')
          else
            local when = false
            if not fresh then
              when = redis.call('ZSCORE', P .. ':d:' .. sid .. ':' .. j, vals[j])
            end
            if when and tonumber(when) > horizon then push('1') else push('0') end
          end
        end
        push(f(sumsq))
        push(f(below))
        push(f(equal))
      end
    end
  end

  local rin = 0
  local rcur = {}
  local frauds = {}
  if risk then
    local hi = eff - delay
    rin = tonumber(st['rin'] or '0')
    while rin < seq and entry(rin)[1] <= hi do rin = rin + 1 end
    if not fresh then
      local fr = redis.call('HGETALL', F)
      for k = 1, #fr, 2 do
        local tt, ua = string.match(fr[k + 1], '^([^|]*)|(.*)$')
        frauds[#frauds + 1] = {tonumber(tt), tonumber(ua), fr[k]}
      end
    end
    local first, latest = nil, nil
    for j = 1, nr do
      local lo = hi - RW[j]
      local r = tonumber(st['r' .. j] or '0')
      while r < seq and entry(r)[1] <= lo do r = r + 1 end
      rcur[j] = r
      if read then
        local hits = 0
        for _, fx in ipairs(frauds) do
          if fx[1] > lo and fx[1] <= hi and fx[2] <= eff then
            hits = hits + 1
            if j == nr then
              if first == nil or fx[1] < first then first = fx[1] end
              if latest == nil or fx[1] > latest then latest = fx[1] end
            end
          end
        end
        push(f(rin - r))
        push(f(hits))
      end
    end
    if read then
      if first ~= nil then
        push(f(eff - first))
        push(f(eff - latest))
      else
        push('')
        push('')
      end
    end
  end

  if write then
    redis.call('RPUSH', L, f(eff) .. '|' .. f(amount) .. '|' .. currency)
    st['head'] = f(eff)
    st['seq'] = f(seq + 1)
    local keep = seq + 1
    if velocity then
      for i = 1, nw do st['c' .. i] = f(cursors[i]) end
      local agg = aggs[currency]
      if agg == nil then
        agg = {}
        for k = 1, 2 * nw + 1 do agg[k] = 0 end
        aggs[currency] = agg
      end
      for i = 1, nw do
        agg[2 * i - 1] = agg[2 * i - 1] + 1
        agg[2 * i] = agg[2 * i] + amount
      end
      if moments then
        agg[2 * nw + 1] = agg[2 * nw + 1] + amount * amount
        redis.call('ZADD', PK, f(amount), f(seq))
        redis.call('PEXPIRE', PK, ttl)
      end
      for cur, a in pairs(aggs) do st['a:' .. cur] = pack_agg(a) end
      while true do
        local last = redis.call('ZRANGE', M, -1, -1)
        if last[1] == nil or tonumber(amount_of(last[1])) > amount then break end
        redis.call('ZREMRANGEBYRANK', M, -1, -1)
      end
      redis.call('ZADD', M, f(eff), string.format('%015d', seq) .. '|' .. f(amount))
      redis.call('ZREMRANGEBYSCORE', M, '-inf', f(eff - W[nw]))
      redis.call('PEXPIRE', M, ttl)
      for j = 1, na do
        local D = P .. ':d:' .. sid .. ':' .. j
        if vals[j] ~= '' then redis.call('ZADD', D, f(eff), vals[j]) end
        redis.call('ZREMRANGEBYSCORE', D, '-inf', f(eff - R))
        redis.call('PEXPIRE', D, ttl)
      end
      keep = math.min(keep, cursors[nw])
    end
    if risk then
      st['rin'] = f(rin)
      for j = 1, nr do st['r' .. j] = f(rcur[j]) end
      local oldest = eff - delay - RW[nr]
      for _, fx in ipairs(frauds) do
        if fx[1] <= oldest then redis.call('HDEL', F, fx[3]) end
      end
      redis.call('PEXPIRE', F, ttl)
      refs[#refs + 1] = sid
      refs[#refs + 1] = f(eff)
      keep = math.min(keep, rcur[nr])
    end
    if keep > off then
      redis.call('LTRIM', L, keep - off, -1)
      off = keep
    end
    st['off'] = f(off)
    local args = {}
    for k, v in pairs(st) do
      args[#args + 1] = k
      args[#args + 1] = v
    end
    redis.call('HSET', H, unpack(args))
    redis.call('PEXPIRE', H, ttl)
    redis.call('PEXPIRE', L, ttl)
  end
end

if write and #refs > 0 then
  redis.call('SET', P .. ':x:' .. txid, table.concat(refs, '|'), 'PX', ttl)
end
return out
"""

LABEL = r"""
local P, txid, fraud, usable, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local refs = redis.call('GET', P .. ':x:' .. txid)
if not refs then return 0 end
local parts = {}
for p in string.gmatch(refs, '[^|]+') do parts[#parts + 1] = p end
for k = 1, #parts, 2 do
  local F = P .. ':f:' .. parts[k]
  if fraud == '1' then
    redis.call('HSET', F, txid, parts[k + 1] .. '|' .. usable)
    redis.call('PEXPIRE', F, ttl)
  else
    redis.call('HDEL', F, txid)
  end
end
return 1
"""
