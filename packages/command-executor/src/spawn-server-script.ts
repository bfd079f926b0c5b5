/**
 * The spawn server: a small Perl program (only modules of perl-base, which every Debian and
 * Ubuntu system has) that forks and execs services for a supervisor. Forking a process of a few
 * MiB costs a fraction of forking a Node process of ~100 MiB (fork copies the page tables of
 * every private page), and the supervisor's event loop goes on while the server forks.
 *
 * Requests come on stdin, each `LENGTH\n` and then LENGTH bytes of NUL-separated fields:
 *
 *   spawn ID CWD STDOUT STDERR CGROUP FILE ARGC ARG… ENV…   (ENV: `NAME=value` items to the end)
 *
 * STDERR empty: the same file as STDOUT. CGROUP empty: no cgroup. The child runs in a new session
 * (setsid), moves itself into CGROUP (writes 0 to cgroup.procs) before it execs, so nothing of the
 * program runs outside it, has stdin on /dev/null and its output appended to the files.
 *
 * Replies on stdout, one line each: `spawned ID PID` once the program has been exec'd (the next
 * request is forked meanwhile);
 * `error ID ERRNO STEP` when it could not be (STEP: fork, setsid, cgroup, cwd, stdin, stdout,
 * stderr, exec); `exit PID CODE SIGNAL` when a spawned child ends (-1 for the one that does not
 * apply).
 *
 * Events, not polling: SIGCHLD and SIGIO (stdin is O_ASYNC) stay blocked except inside
 * sigsuspend, which unblocks them atomically, so neither an exit nor a request can slip in
 * between a check and the wait. End of file on stdin (the supervisor is gone): the server exits;
 * its children run on.
 */
export const SPAWN_SERVER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX ();
use Config;
use Fcntl qw(F_GETFL F_SETFL F_SETOWN O_ASYNC O_NONBLOCK O_WRONLY O_APPEND O_CREAT O_RDONLY);

$0 = 'harness-spawner';
POSIX::close(3);
my %signo;
@signo{split ' ', $Config{sig_name}} = split ' ', $Config{sig_num};
my $waited = POSIX::SigSet->new($signo{CHLD}, $signo{IO});
my $none = POSIX::SigSet->new();
POSIX::sigprocmask(POSIX::SIG_BLOCK(), $waited) or die "sigprocmask: $!";
$SIG{CHLD} = sub {};
$SIG{IO} = sub {};
fcntl(STDIN, F_SETOWN, 0 + $$) or die "F_SETOWN: $!";
my $flags = fcntl(STDIN, F_GETFL, 0) or die "F_GETFL: $!";
fcntl(STDIN, F_SETFL, $flags | O_NONBLOCK | O_ASYNC) or die "F_SETFL: $!";
binmode STDIN;
binmode STDOUT;

my %children;
my %execing;
my $buf = '';

sub reply { my $line = shift; my $off = 0;
  while ($off < length $line) {
    my $n = syswrite(STDOUT, $line, length($line) - $off, $off);
    if (!defined $n) { next if $!{EINTR} || $!{EAGAIN}; exit 0; }
    $off += $n;
  }
}

sub to_fd { my ($path, $fd) = @_;
  my $f = POSIX::open($path, O_WRONLY | O_APPEND | O_CREAT, 0640);
  return 0 unless defined $f;
  if ($f != $fd) { defined POSIX::dup2($f, $fd) or return 0; POSIX::close($f); }
  return 1;
}

sub spawn { my ($id, $cwd, $out, $err, $cg, $file, $argc, @rest) = @_;
  my @argv = splice(@rest, 0, $argc);
  my @env = @rest;
  my ($r, $w);
  if (!pipe($r, $w)) { reply("error $id " . ($! + 0) . " fork\n"); return; }
  my $pid = fork();
  if (!defined $pid) { reply("error $id " . ($! + 0) . " fork\n"); close $r; close $w; return; }
  if ($pid == 0) {
    close $r;
    my $fail = sub { my $e = $! + 0; syswrite($w, "$e $_[0]"); POSIX::_exit(127); };
    defined POSIX::setsid() or $fail->('setsid');
    if ($cg ne '') {
      my $f = POSIX::open("$cg/cgroup.procs", O_WRONLY) // $fail->('cgroup');
      defined POSIX::write($f, '0', 1) or $fail->('cgroup');
      POSIX::close($f);
    }
    chdir($cwd) or $fail->('cwd');
    my $null = POSIX::open('/dev/null', O_RDONLY) // $fail->('stdin');
    if ($null != 0) { defined POSIX::dup2($null, 0) or $fail->('stdin'); POSIX::close($null); }
    to_fd($out, 1) or $fail->('stdout');
    if ($err eq '') { defined POSIX::dup2(1, 2) or $fail->('stderr'); }
    else { to_fd($err, 2) or $fail->('stderr'); }
    %ENV = ();
    for my $kv (@env) { my $i = index($kv, '='); $ENV{substr($kv, 0, $i)} = substr($kv, $i + 1) if $i > 0; }
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), $none);
    { no warnings 'exec'; exec { $file } @argv; }
    $fail->('exec');
  }
  close $w;
  # The exec is awaited without blocking: the next request is forked meanwhile, and the end of
  # this pipe (the exec closed it, or the child wrote why it failed and exited) is a SIGIO.
  fcntl($r, F_SETOWN, 0 + $$);
  fcntl($r, F_SETFL, (fcntl($r, F_GETFL, 0) || 0) | O_NONBLOCK | O_ASYNC);
  $execing{$pid} = { id => $id, fh => $r, msg => '' };
}

# Answers the requests whose child has exec'd (or failed to): in the order they end.
sub settle {
  for my $pid (keys %execing) {
    my $e = $execing{$pid};
    my $done = 0;
    while (1) {
      my $n = sysread($e->{fh}, my $chunk, 256);
      if (!defined $n) { last if $!{EAGAIN} || $!{EWOULDBLOCK}; next if $!{EINTR}; $done = 1; last; }
      if ($n == 0) { $done = 1; last; }
      $e->{msg} .= $chunk;
    }
    next unless $done;
    close $e->{fh};
    delete $execing{$pid};
    if ($e->{msg} ne '') {
      my ($errno, $step) = split / /, $e->{msg}, 2;
      reply("error $e->{id} $errno $step\n");
    } else {
      $children{$pid} = 1;
      reply("spawned $e->{id} $pid\n");
    }
  }
}

# Exits are collected first and told after settle(): a child that exec'd and ended at once is
# told as spawned before it is told as ended. One that failed before its exec is not told.
sub reap {
  my @ended;
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) { push @ended, [$pid, $?]; }
  settle();
  for my $x (@ended) {
    my ($pid, $status) = @$x;
    next unless delete $children{$pid};
    my $code = POSIX::WIFEXITED($status) ? POSIX::WEXITSTATUS($status) : -1;
    my $sig = POSIX::WIFSIGNALED($status) ? POSIX::WTERMSIG($status) : -1;
    reply("exit $pid $code $sig\n");
  }
}

while (1) {
  while (1) {
    my $n = sysread(STDIN, my $chunk, 65536);
    if (!defined $n) { last if $!{EAGAIN} || $!{EWOULDBLOCK}; next if $!{EINTR}; exit 0; }
    exit 0 if $n == 0;
    $buf .= $chunk;
  }
  while ($buf =~ /\A(\d+)\n/) {
    my ($len, $head) = ($1, length($1) + 1);
    last if length($buf) < $head + $len;
    my $record = substr($buf, $head, $len);
    substr($buf, 0, $head + $len) = '';
    my ($op, @fields) = split /\0/, $record, -1;
    spawn(@fields) if $op eq 'spawn';
  }
  reap();
  POSIX::sigsuspend($none);
}
`;
