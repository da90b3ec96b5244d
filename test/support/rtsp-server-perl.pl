#!/usr/bin/perl
# Debian's RTSP::Server (librtsp-server-perl) as a test camera: a relay that a source feeds
# (ANNOUNCE, SETUP, RECORD, then RTP over UDP) and clients view (DESCRIBE, SETUP with
# client_port — RTP over UDP only —, PLAY). Its client limit is the module's own max_clients
# (a SETUP past it is answered "453 Maximum Clients Reached").
#
#   perl rtsp-server-perl.pl --clientport C --serverport S --rtp_start_port R --max_clients N
#
# The options are RTSP::Server's own (MooseX::Getopt, as its rtsp-server.pl takes them).
# Binds loopback only. Prints "READY <clientport> <serverport>" once it listens; runs until killed.
use strict;
use warnings;
use AnyEvent;
use RTSP::Server;

my $srv = RTSP::Server->new_with_options(
    client_listen_address => '127.0.0.1',
    source_listen_address => '127.0.0.1',
    log_level             => 0,
);
# new_with_options would take an address from the command line too: loopback wins
$srv->client_listen_address('127.0.0.1');
$srv->source_listen_address('127.0.0.1');
$srv->listen;
$| = 1;
print 'READY ' . $srv->client_listen_port . ' ' . $srv->source_listen_port . "\n";

my $done = AnyEvent->condvar;
my @signals = map { AnyEvent->signal(signal => $_, cb => sub { $done->send }) } qw(TERM INT);
$done->recv;
