#!/usr/bin/perl
# The binding side of the exchange in c-tests/bindings/peer.py, written with
# Debian's ZMQ::FFI (libzmq-ffi-perl), which dlopens libzmq through
# FFI::Platypus.
#
#   zmq_ffi_side.pl DIR
#
# Prints the libzmq version the binding reports and the libzmq files this
# process mapped, then one "PASS: ..." or "FAIL: ..." line per check.
use strict;
use warnings;
use ZMQ::FFI;
use ZMQ::FFI::Constants qw(:all);
use Time::HiRes qw(sleep time);
use POSIX qw(EAGAIN);

my $dir  = shift or die "usage: $0 DIR\n";
my $name = 'ZMQ::FFI';
my @payloads = ('', 'x' x 100000, join('', map { chr } 0 .. 255),
                "h\xc3\xa9llo w\xc3\xb6rld");
my @topics = ('wx.', 'alert');
my $failures = 0;
$| = 1;

sub check {
    my ($ok, $what) = @_;
    print(($ok ? 'PASS' : 'FAIL') . ": $what\n");
    $failures++ unless $ok;
    return $ok;
}

sub same {    # two lists of byte strings, frame by frame
    my ($a, $b) = @_;
    return 0 unless @$a == @$b;
    for my $i (0 .. $#$a) { return 0 unless $a->[$i] eq $b->[$i] }
    return 1;
}

sub wait_eps {
    my ($path) = @_;
    my $end = time + 20;
    until (-e $path) {
        die "FAIL: $path never appeared\n" if time > $end;
        sleep 0.02;
    }
    open my $fh, '<', $path or die "FAIL: $path: $!\n";
    my %eps = map { split ' ' } <$fh>;
    return \%eps;
}

my $ctx = ZMQ::FFI->new();
my ($maj, $min, $pat) = $ctx->version;
print "binding: $name $ZMQ::FFI::VERSION reports libzmq $maj.$min.$pat\n";
open my $maps, '<', '/proc/self/maps' or die;
my %libs = map { (split ' ')[-1] => 1 } grep { /libzmq/ } <$maps>;
print "binding: mapped ", join(' ', sort keys %libs), "\n";

sub sock {
    my ($type) = @_;
    my $s = $ctx->socket($type);
    $s->set_linger(2000);
    $s->set(ZMQ_RCVTIMEO, 'int', 10000);
    $s->set(ZMQ_SNDTIMEO, 'int', 10000);
    return $s;
}

my ($rep, $pub, $pull) = map { sock($_) } (ZMQ_REP, ZMQ_PUB, ZMQ_PULL);
$_->bind('tcp://127.0.0.1:*') for ($rep, $pub, $pull);
my %mine = (rep  => $rep->get(ZMQ_LAST_ENDPOINT, 'string'),
            pub  => $pub->get(ZMQ_LAST_ENDPOINT, 'string'),
            pull => $pull->get(ZMQ_LAST_ENDPOINT, 'string'));
check($mine{$_} =~ m{^tcp://127\.0\.0\.1:\d+$}, "bound $_ on a free port ($mine{$_})")
    for sort keys %mine;
open my $out, '>', "$dir/b.eps.tmp" or die;
print $out "$_ $mine{$_}\n" for sort keys %mine;
close $out;
# The test script checks this process's maps, then starts the peer.
rename "$dir/b.eps.tmp", "$dir/b.eps" or die;
my $peer = wait_eps("$dir/p.eps");

# 1. our REQ (connect) -> pyzmq's REP (bind)
my $req = sock(ZMQ_REQ);
$req->connect($peer->{rep});
my $ok = 1;
for my $i (0 .. $#payloads) {
    $req->send_multipart(['req', $i, $payloads[$i]]);
    my @r = $req->recv_multipart;
    $ok &&= same(\@r, ['rep', $i, scalar reverse($payloads[$i]), 'from-pyzmq']);
}
check($ok, "REQ/REP: $name REQ (connect) -> pyzmq REP (bind), "
           . scalar(@payloads) . " multipart replies arrived intact");

# 2. pyzmq's REQ (connect) -> our REP (bind)
$ok = 1;
for my $i (0 .. $#payloads) {
    my @r = $rep->recv_multipart;
    $ok &&= same(\@r, ['req', $i, $payloads[$i]]);
    $rep->send_multipart(['rep', $i, scalar reverse($payloads[$i]), $name]);
}
check($ok, "REQ/REP: pyzmq REQ (connect) -> $name REP (bind), "
           . scalar(@payloads) . " multipart requests arrived intact");

# 3. our PUSH (connect) -> pyzmq's PULL (bind)
my $push = sock(ZMQ_PUSH);
$push->connect($peer->{pull});
$push->send_multipart(['push', $_, $payloads[$_ % @payloads]]) for 0 .. 19;
check(1, "PUSH/PULL: $name PUSH (connect) -> pyzmq PULL (bind), 20 sent");

# 4. pyzmq's PUSH (connect) -> our PULL (bind)
$ok = 1;
for my $i (0 .. 19) {
    my @r = $pull->recv_multipart;
    $ok &&= same(\@r, ['push', $i, $payloads[$i % @payloads]]);
}
check($ok, "PUSH/PULL: pyzmq PUSH (connect) -> $name PULL (bind), "
           . "20 multipart messages in order");

# 5. pyzmq's PUB (bind) -> our SUB (connect); confirm over PUSH
my $sub = sock(ZMQ_SUB);
$sub->subscribe($_) for @topics;
$sub->connect($peer->{pub});
my %seen = map { $_ => 0 } @topics;
my @bad;
# Wait on the socket's ZMQ_FD / ZMQ_EVENTS as an event loop would.
my $fd = $sub->get_fd;
open my $fdh, '<&=', $fd or die "FAIL: cannot wrap ZMQ_FD $fd: $!\n";
my $end = time + 15;
while (($seen{'wx.'} < 3 || $seen{alert} < 3) && time < $end) {
    unless ($sub->has_pollin) {
        my $rin = '';
        vec($rin, $fd, 1) = 1;
        select(my $rout = $rin, undef, undef, 0.5);
        next;
    }
    my @m = $sub->recv_multipart;
    my ($t) = grep { index($m[0], $_) == 0 } @topics;
    if (!defined $t || @m != 2) { push @bad, $m[0]; next }
    $seen{$t}++;
}
check($seen{'wx.'} >= 3 && $seen{alert} >= 3,
      "PUB/SUB pyzmq PUB (bind) -> $name SUB (connect): both topics arrived, "
      . "waited on ZMQ_FD/ZMQ_EVENTS");
check(!@bad, "PUB/SUB pyzmq PUB (bind) -> $name SUB (connect): topic filter let "
             . "through only subscribed topics" . (@bad ? " (got @bad[0..$#bad])" : ''));
$push->send_multipart(['sub-done', 'ok']);

# 6. our PUB (bind) -> pyzmq's SUB (connect); publish until it confirms
$pull->set(ZMQ_RCVTIMEO, 'int', 0);
$pull->die_on_error(0);
my $confirmed;
$end = time + 15;
for (my $r = 1; time < $end; $r++) {
    $pub->send_multipart(["news.$r", 'not subscribed']);
    $pub->send_multipart(["wx.$r", "sunny $r"]);
    $pub->send_multipart(["wxx$r", 'near miss']);
    $pub->send_multipart(['alert', "alarm $r"]);
    my @m = $pull->recv_multipart;
    if (@m) { $confirmed = \@m; last }
    check(0, "PUSH/PULL: unexpected error " . $pull->last_strerror)
        if $pull->last_errno != EAGAIN;
    sleep 0.02;
}
check($confirmed && same($confirmed, ['sub-done', 'ok']),
      "PUB/SUB: pyzmq SUB confirmed what $name PUB sent");

# Goodbye over REQ/REP.
$req->send_multipart(['bye', $name]);
my @r = $req->recv_multipart;
check(same(\@r, ['bye']), 'pyzmq acknowledged the end of the exchange');

$_->close for ($rep, $pub, $pull, $req, $push, $sub);
$ctx->destroy;
check(1, 'closed every socket and destroyed the context');
exit($failures ? 1 : 0);
