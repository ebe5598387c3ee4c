/*
 * Baseline for `pnpm bench echo`: an echo server in C on one epoll loop, the
 * fastest thing this machine can answer a ping-pong with. Edge-triggered
 * reads, TCP_NODELAY, each read written straight back (a short write keeps
 * the rest and waits for EPOLLOUT). Listens on 127.0.0.1 and an ephemeral
 * port, prints `listening tcp://127.0.0.1:<port>`, exits 0 on SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define BUFFER_BYTES 65536

struct conn {
  int fd;
  size_t pending; /* bytes read but not yet written back */
  char buffer[BUFFER_BYTES];
};

static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void)sig; stopping = 1; }

static void drop(int epoll, struct conn *c) {
  epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

/* Writes what is pending; returns 0 when all of it went, 1 when the socket is full, -1 on error. */
static int flush_pending(struct conn *c) {
  size_t done = 0;
  while (done < c->pending) {
    ssize_t n = write(c->fd, c->buffer + done, c->pending - done);
    if (n < 0) {
      if (errno == EAGAIN) break;
      return -1;
    }
    done += (size_t)n;
  }
  memmove(c->buffer, c->buffer + done, c->pending - done);
  c->pending -= done;
  return c->pending > 0 ? 1 : 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_term);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 511) != 0) {
    perror("epoll_echo: bind/listen");
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &length);
  printf("listening tcp://127.0.0.1:%d\n", ntohs(address.sin_port));
  fflush(stdout);

  int epoll = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  struct epoll_event events[MAX_EVENTS];
  while (!stopping) {
    int ready = epoll_wait(epoll, events, MAX_EVENTS, 200);
    for (int i = 0; i < ready; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *fresh = calloc(1, sizeof *fresh);
          fresh->fd = fd;
          struct epoll_event add = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = fresh};
          epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &add);
        }
        continue;
      }
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        drop(epoll, c);
        continue;
      }
      int failed = 0;
      if ((events[i].events & EPOLLOUT) && c->pending > 0 && flush_pending(c) < 0) failed = 1;
      /* Edge-triggered: read until EAGAIN on any event, or bytes left when the buffer filled would never be seen. */
      while (!failed && c->pending < BUFFER_BYTES) {
        ssize_t n = read(c->fd, c->buffer + c->pending, BUFFER_BYTES - c->pending);
        if (n == 0) { failed = 1; break; }
        if (n < 0) {
          if (errno != EAGAIN) failed = 1;
          break;
        }
        c->pending += (size_t)n;
        int flushed = flush_pending(c);
        if (flushed < 0) failed = 1;
        if (flushed == 1) break; /* socket full: wait for EPOLLOUT */
      }
      if (failed) drop(epoll, c);
    }
  }
  close(listener);
  return 0;
}
