#!/usr/bin/ruby
# The binding side of the exchange in c-tests/bindings/peer.py, written with
# Debian's ffi-rzmq (ruby-ffi-rzmq), which dlopens libzmq.so.5 through
# Ruby-FFI (ffi-rzmq-core).
#
#   ffi_rzmq_side.rb DIR
#
# Prints the libzmq version the binding reports and the libzmq files this
# process mapped, then one "PASS: ..." or "FAIL: ..." line per check.
require 'ffi-rzmq'

DIR = ARGV[0] or abort "usage: #{$0} DIR"
NAME = 'ffi-rzmq'
PAYLOADS = ['', 'x' * 100_000, (0..255).map(&:chr).join, "h\u00e9llo w\u00f6rld"].map(&:b)
TOPICS = ['wx.', 'alert']
$failures = 0
$stdout.sync = true

def check(ok, what)
  puts "#{ok ? 'PASS' : 'FAIL'}: #{what}"
  $failures += 1 unless ok
  ok
end

# Every call must succeed; a failure ends the run with the libzmq error.
def ok!(rc, what)
  return rc if ZMQ::Util.resultcode_ok?(rc)
  puts "FAIL: #{what}: #{ZMQ::Util.error_string} (errno #{ZMQ::Util.errno})"
  exit 1
end

def recv_parts(sock, what)
  parts = []
  ok!(sock.recv_strings(parts), "recv (#{what})")
  parts.map(&:b)
end

def wait_eps(path)
  deadline = Time.now + 20
  until File.exist?(path)
    abort "FAIL: #{path} never appeared" if Time.now > deadline
    sleep 0.02
  end
  File.readlines(path).map(&:split).to_h
end

v = LibZMQ.version
puts "binding: #{NAME} #{ZMQ::VERSION rescue '?'} reports libzmq #{v[:major]}.#{v[:minor]}.#{v[:patch]}"
libs = File.readlines('/proc/self/maps').grep(/libzmq/).map { |l| l.split.last }.uniq.sort
puts "binding: mapped #{libs.join(' ')}"

$ctx = ZMQ::Context.new
abort 'FAIL: zmq_ctx_new returned NULL' unless $ctx

def sock(type)
  s = $ctx.socket(type)
  ok!(s.setsockopt(ZMQ::LINGER, 2000), 'LINGER')
  ok!(s.setsockopt(ZMQ::RCVTIMEO, 10_000), 'RCVTIMEO')
  ok!(s.setsockopt(ZMQ::SNDTIMEO, 10_000), 'SNDTIMEO')
  s
end

rep, pub, pull = [ZMQ::REP, ZMQ::PUB, ZMQ::PULL].map { |t| sock(t) }
mine = {}
{ 'rep' => rep, 'pub' => pub, 'pull' => pull }.each do |role, s|
  ok!(s.bind('tcp://127.0.0.1:*'), "bind #{role}")
  a = []
  ok!(s.getsockopt(ZMQ::LAST_ENDPOINT, a), 'LAST_ENDPOINT')
  mine[role] = a[0].delete("\0")
  check(mine[role] =~ %r{\Atcp://127\.0\.0\.1:\d+\z}, "bound #{role} on a free port (#{mine[role]})")
end
File.write("#{DIR}/b.eps.tmp", mine.map { |r, e| "#{r} #{e}\n" }.join)
# The test script checks this process's maps, then starts the peer.
File.rename("#{DIR}/b.eps.tmp", "#{DIR}/b.eps")
peer = wait_eps("#{DIR}/p.eps")

# 1. our REQ (connect) -> pyzmq's REP (bind)
req = sock(ZMQ::REQ)
ok!(req.connect(peer['rep']), 'connect REQ')
good = PAYLOADS.each_with_index.all? do |p, i|
  ok!(req.send_strings(['req', i.to_s, p]), 'send REQ')
  recv_parts(req, 'REQ') == ['rep', i.to_s, p.reverse, 'from-pyzmq']
end
check(good, "REQ/REP: #{NAME} REQ (connect) -> pyzmq REP (bind), " \
            "#{PAYLOADS.size} multipart replies arrived intact")

# 2. pyzmq's REQ (connect) -> our REP (bind)
good = PAYLOADS.each_with_index.map do |p, i|
  r = recv_parts(rep, 'REP')
  ok!(rep.send_strings(['rep', i.to_s, p.reverse, NAME]), 'send REP')
  r == ['req', i.to_s, p]
end.all?
check(good, "REQ/REP: pyzmq REQ (connect) -> #{NAME} REP (bind), " \
            "#{PAYLOADS.size} multipart requests arrived intact")

# 3. our PUSH (connect) -> pyzmq's PULL (bind)
push = sock(ZMQ::PUSH)
ok!(push.connect(peer['pull']), 'connect PUSH')
20.times { |i| ok!(push.send_strings(['push', i.to_s, PAYLOADS[i % PAYLOADS.size]]), 'send PUSH') }
check(true, "PUSH/PULL: #{NAME} PUSH (connect) -> pyzmq PULL (bind), 20 sent")

# 4. pyzmq's PUSH (connect) -> our PULL (bind)
good = (0...20).map { |i| recv_parts(pull, 'PULL') == ['push', i.to_s, PAYLOADS[i % PAYLOADS.size]] }.all?
check(good, "PUSH/PULL: pyzmq PUSH (connect) -> #{NAME} PULL (bind), 20 multipart messages in order")

# 5. pyzmq's PUB (bind) -> our SUB (connect); waits in zmq_poll; confirms over PUSH
sub = sock(ZMQ::SUB)
TOPICS.each { |t| ok!(sub.setsockopt(ZMQ::SUBSCRIBE, t), 'SUBSCRIBE') }
ok!(sub.connect(peer['pub']), 'connect SUB')
poller = ZMQ::Poller.new
poller.register_readable(sub)
seen = Hash[TOPICS.map { |t| [t, 0] }]
bad = []
deadline = Time.now + 15
while seen.values.min < 3 && Time.now < deadline
  ok!(poller.poll(500), 'zmq_poll')
  next unless poller.readables.include?(sub)
  m = recv_parts(sub, 'SUB')
  t = TOPICS.find { |x| m[0].start_with?(x) }
  if t.nil? || m.size != 2
    bad << m[0]
  else
    seen[t] += 1
  end
end
check(seen.values.min >= 3, "PUB/SUB pyzmq PUB (bind) -> #{NAME} SUB (connect): both topics arrived, " \
                            "waited in zmq_poll")
check(bad.empty?, "PUB/SUB pyzmq PUB (bind) -> #{NAME} SUB (connect): topic filter let through only " \
                  "subscribed topics#{bad.empty? ? '' : " (got #{bad.inspect})"}")
ok!(push.send_strings(['sub-done', 'ok']), 'send PUSH')

# 6. our PUB (bind) -> pyzmq's SUB (connect); publish until it confirms
confirmed = nil
deadline = Time.now + 15
r = 0
while Time.now < deadline
  r += 1
  ok!(pub.send_strings(["news.#{r}", 'not subscribed']), 'send PUB')
  ok!(pub.send_strings(["wx.#{r}", "sunny #{r}"]), 'send PUB')
  ok!(pub.send_strings(["wxx#{r}", 'near miss']), 'send PUB')
  ok!(pub.send_strings(['alert', "alarm #{r}"]), 'send PUB')
  parts = []
  rc = pull.recv_strings(parts, ZMQ::DONTWAIT)
  if ZMQ::Util.resultcode_ok?(rc)
    confirmed = parts
    break
  end
  ok!(rc, 'recv PULL') unless ZMQ::Util.errno == ZMQ::EAGAIN
  sleep 0.02
end
check(confirmed == ['sub-done', 'ok'], "PUB/SUB: pyzmq SUB confirmed what #{NAME} PUB sent")

# Goodbye over REQ/REP.
ok!(req.send_strings(['bye', NAME]), 'send bye')
check(recv_parts(req, 'bye') == ['bye'], 'pyzmq acknowledged the end of the exchange')

[rep, pub, pull, req, push, sub].each { |s| ok!(s.close, 'close') }
ok!($ctx.terminate, 'zmq_ctx_term')
check(true, 'closed every socket and terminated the context')
exit($failures.zero? ? 0 : 1)
