/*
 * Load generator for `pnpm bench echo --client c`: ping-pong over N TCP
 * connections on one epoll loop, so the client is never what limits a run
 * (the Node client tops out near 100k msgs/s on this machine; this one costs
 * a few hundred nanoseconds a message). It does what apps/bench/src/load.ts
 * does: each connection sends one message (one of 16 variants, 64 bytes by
 * default, ending in '\n'), reads the whole echo, checks it byte for byte,
 * records the round trip, sends the next. Round trips are measured after
 * the warm-up and before the end of the window; latencies go into the same
 * log-linear buckets as src/histogram.ts (exact below 128 ns, then 64 per
 * power of two), which are printed as JSON for the bench to read:
 *
 *   {"messages":N,"elapsedNs":T,"wrongReplies":W,"failures":["..."],"buckets":[[index,count],...]}
 *
 * usage: epoll_load HOST PORT CONNECTIONS MESSAGE_BYTES WARMUP_MS DURATION_MS MAX_MESSAGES
 * Traffic goes to HOST only (the bench passes 127.0.0.1) and stops by itself
 * at the end of the window, or 5 s after it if the server stops answering.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VARIANTS 16
#define SUB_BUCKETS 64
#define MAX_SHIFT 34
#define BUCKETS (SUB_BUCKETS * (MAX_SHIFT + 2))
#define MAX_MESSAGE_BYTES 65536
#define MAX_FAILURES 16
#define GRACE_NS 5000000000LL

struct conn {
  int fd;
  int index;
  int variant;
  size_t received;
  int64_t sent_at;
  int done;
};

static double counts[BUCKETS];
static unsigned char messages[VARIANTS][MAX_MESSAGE_BYTES];
static size_t message_bytes;
static char failures[MAX_FAILURES][160];
static int failure_count;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The bucket of a latency, as bucketOf() in src/histogram.ts computes it. */
static int bucket_of(int64_t ns) {
  uint64_t value = ns < 0 ? 0 : (uint64_t)ns;
  if (value < 2 * SUB_BUCKETS) return (int)value;
  int shift = (63 - __builtin_clzll(value)) - 6;
  if (shift > MAX_SHIFT) shift = MAX_SHIFT;
  uint64_t mantissa = value >> shift;
  if (mantissa > 2 * SUB_BUCKETS - 1) mantissa = 2 * SUB_BUCKETS - 1;
  return shift * SUB_BUCKETS + (int)mantissa;
}

static void fail(int connection, const char *what) {
  if (failure_count < MAX_FAILURES) {
    snprintf(failures[failure_count], sizeof failures[0], "connection %d: %s", connection, what);
  }
  failure_count++;
}

static void make_messages(void) {
  const char *alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t letters = strlen(alphabet);
  for (int variant = 0; variant < VARIANTS; variant++) {
    for (size_t index = 0; index + 1 < message_bytes; index++) {
      messages[variant][index] = (unsigned char)alphabet[(index + (size_t)variant * 7) % letters];
    }
    messages[variant][message_bytes - 1] = '\n';
  }
}

/* Sends the next variant; a 64-byte write into an empty socket buffer goes whole. Returns -1 on error. */
static int send_next(struct conn *c) {
  c->variant = (c->variant + 1) % VARIANTS;
  c->received = 0;
  c->sent_at = now_ns();
  ssize_t wrote = send(c->fd, messages[c->variant], message_bytes, MSG_NOSIGNAL);
  return wrote == (ssize_t)message_bytes ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s HOST PORT CONNECTIONS MESSAGE_BYTES WARMUP_MS DURATION_MS MAX_MESSAGES\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int connections = atoi(argv[3]);
  message_bytes = (size_t)atol(argv[4]);
  int64_t warmup_ns = atoll(argv[5]) * 1000000LL;
  int64_t duration_ns = atoll(argv[6]) * 1000000LL;
  long long max_messages = atoll(argv[7]);
  if (connections < 1 || message_bytes < 2 || message_bytes > MAX_MESSAGE_BYTES || port < 1 || port > 65535) {
    fprintf(stderr, "%s: connections >= 1, 2 <= message bytes <= %d, a port of 1-65535\n", argv[0], MAX_MESSAGE_BYTES);
    return 2;
  }
  make_messages();
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
    fprintf(stderr, "%s: %s is not an IPv4 address\n", argv[0], host);
    return 2;
  }
  int epoll = epoll_create1(0);
  struct conn *conns = calloc((size_t)connections, sizeof *conns);
  if (epoll < 0 || conns == NULL) {
    perror("epoll_load");
    return 1;
  }
  int open_count = 0;
  for (int i = 0; i < connections; i++) {
    struct conn *c = &conns[i];
    c->index = i;
    c->variant = i % VARIANTS;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&address, sizeof address) != 0) {
      fail(i, strerror(errno));
      c->done = 1;
      if (c->fd >= 0) close(c->fd);
      continue;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
    open_count++;
  }
  int64_t started = now_ns();
  int64_t measure_from = started + warmup_ns;
  int64_t measure_until = measure_from + duration_ns;
  int64_t last_measured_at = measure_from;
  long long measured = 0;
  long long wrong = 0;
  int stopping = 0;
  for (int i = 0; i < connections; i++) {
    if (!conns[i].done && send_next(&conns[i]) != 0) {
      fail(i, "the first send failed");
      conns[i].done = 1;
      close(conns[i].fd);
      open_count--;
    }
  }
  static struct epoll_event events[256];
  unsigned char buffer[MAX_MESSAGE_BYTES];
  while (open_count > 0) {
    int ready = epoll_wait(epoll, events, 256, 100);
    int64_t now = now_ns();
    if (now > measure_until + GRACE_NS) {
      if (!stopping) fail(-1, "the server stopped answering: run not finished 5000 ms after its end");
      break;
    }
    for (int e = 0; e < ready; e++) {
      struct conn *c = events[e].data.ptr;
      if (c->done) continue;
      ssize_t got = recv(c->fd, buffer, sizeof buffer, 0);
      if (got <= 0) {
        if (!stopping) fail(c->index, got == 0 ? "closed by the server" : strerror(errno));
        c->done = 1;
        close(c->fd);
        open_count--;
        continue;
      }
      const unsigned char *expected = messages[c->variant];
      int broken = 0;
      for (ssize_t k = 0; k < got; k++) {
        if (c->received >= message_bytes || buffer[k] != expected[c->received]) {
          broken = 1;
          break;
        }
        c->received++;
      }
      if (broken) {
        wrong++;
        fail(c->index, "reply differs from the request");
        c->done = 1;
        close(c->fd);
        open_count--;
        continue;
      }
      if (c->received < message_bytes) continue;
      int64_t at = now_ns();
      if (c->sent_at >= measure_from && at < measure_until && measured < max_messages) {
        counts[bucket_of(at - c->sent_at)] += 1;
        measured++;
        last_measured_at = at;
      }
      if (stopping || at >= measure_until || measured >= max_messages) {
        if (!stopping && measured >= max_messages) last_measured_at = at;
        stopping = 1;
        c->done = 1;
        close(c->fd);
        open_count--;
      } else if (send_next(c) != 0) {
        fail(c->index, "a send failed");
        c->done = 1;
        close(c->fd);
        open_count--;
      }
    }
  }
  for (int i = 0; i < connections; i++) {
    if (!conns[i].done) close(conns[i].fd);
  }
  int64_t elapsed = last_measured_at - measure_from;
  printf("{\"messages\":%lld,\"elapsedNs\":%lld,\"wrongReplies\":%lld,\"failures\":[", measured,
         (long long)(elapsed > 0 ? elapsed : 1), wrong);
  int shown = failure_count < MAX_FAILURES ? failure_count : MAX_FAILURES;
  for (int f = 0; f < shown; f++) printf("%s\"%s\"", f == 0 ? "" : ",", failures[f]);
  if (failure_count > shown) printf(",\"and %d more\"", failure_count - shown);
  printf("],\"buckets\":[");
  int first = 1;
  for (int b = 0; b < BUCKETS; b++) {
    if (counts[b] == 0) continue;
    printf("%s[%d,%.0f]", first ? "" : ",", b, counts[b]);
    first = 0;
  }
  printf("]}\n");
  free(conns);
  return 0;
}
