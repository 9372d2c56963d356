/* httpd.c - a small HTTP/1.1 server on 127.0.0.1 for tests/feeds.sh. It
 * serves the files of DIR, each path's behaviour chosen by its first part:
 *
 *   /ok/NAME          200 with the file
 *   /etag/NAME        200 with ETag "v1"; 304 when If-None-Match is "v1"
 *   /flaky/NAME       500 on the first request of the path, then 200
 *   /fail/NAME        always 503
 *   /missing/NAME     always 404
 *   /slow/NAME        waits 5 s, then 200
 *   /truncated/NAME   announces 100 bytes more than it sends, then closes
 *   /big/N            N bytes of "x" with a Content-Length
 *   /bigchunked/N     N bytes of "x", chunked (no length known in advance)
 *   /auth/NAME        200 when "auth-token: secret" was sent, else 401
 *   /redirect/PORT/REST  302 to http://127.0.0.1:PORT/REST (another server,
 *                     or this one)
 *
 * Usage: httpd DIR PORTFILE LOGFILE. It writes the port it listens on to
 * PORTFILE once ready, one line per request to LOGFILE ("GET /path", and
 * " auth" when an auth-token header came), and runs until killed. */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static FILE *logf;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char seen[64][512]; /* paths asked for before, for /flaky */
static int nseen;

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void reply(int fd, int status, const char *extra, const char *body, size_t len,
                  size_t announced)
{
	char head[512];
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
	                 status, announced, extra ? extra : "");
	send_all(fd, head, (size_t)n);
	if (len)
		send_all(fd, body, len);
}

static char *read_file(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	if (strstr(name, ".."))
		return NULL;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int first_time(const char *path)
{
	int first = 1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < nseen; i++)
		if (strcmp(seen[i], path) == 0)
			first = 0;
	if (first && nseen < 64)
		snprintf(seen[nseen++], sizeof seen[0], "%s", path);
	pthread_mutex_unlock(&lock);
	return first;
}

static void serve(int fd)
{
	char req[16384], method[16], path[512], *name;
	size_t got = 0, len = 0;
	char *body;
	int auth, inm;

	while (got < sizeof req - 1) {
		ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
		if (r <= 0)
			return;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (sscanf(req, "%15s %511s", method, path) != 2)
		return;
	auth = strcasestr(req, "\r\nauth-token: secret\r\n") != NULL;
	inm = strcasestr(req, "\r\nIf-None-Match: \"v1\"\r\n") != NULL;
	pthread_mutex_lock(&lock);
	fprintf(logf, "%s %s%s%s\n", method, path, strcasestr(req, "\r\nauth-token:") ? " auth" : "",
	        inm ? " if-none-match" : "");
	fflush(logf);
	pthread_mutex_unlock(&lock);

	path[strcspn(path, "?")] = '\0'; /* a query only makes a path new */
	name = strchr(path + 1, '/');
	name = name ? name + 1 : path;
	if (strncmp(path, "/big/", 5) == 0 || strncmp(path, "/bigchunked/", 12) == 0) {
		size_t n = strtoul(name, NULL, 10), sent = 0;
		char chunk[65536];
		memset(chunk, 'x', sizeof chunk);
		if (path[4] == '/') {
			reply(fd, 200, NULL, NULL, 0, n);
		} else {
			const char *h = "HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n"
			                "Connection: close\r\n\r\n";
			send_all(fd, h, strlen(h));
		}
		while (sent < n) {
			size_t k = n - sent < sizeof chunk ? n - sent : sizeof chunk;
			char size[32];
			if (path[4] != '/') {
				snprintf(size, sizeof size, "%zx\r\n", k);
				if (send_all(fd, size, strlen(size)))
					return;
			}
			if (send_all(fd, chunk, k) || (path[4] != '/' && send_all(fd, "\r\n", 2)))
				return;
			sent += k;
		}
		if (path[4] != '/')
			send_all(fd, "0\r\n\r\n", 5);
		return;
	}
	if (strncmp(path, "/fail/", 6) == 0) {
		reply(fd, 503, NULL, "busy\n", 5, 5);
		return;
	}
	if (strncmp(path, "/missing/", 9) == 0) {
		reply(fd, 404, NULL, "no\n", 3, 3);
		return;
	}
	if (strncmp(path, "/flaky/", 7) == 0 && first_time(path)) {
		reply(fd, 500, NULL, "oops\n", 5, 5);
		return;
	}
	if (strncmp(path, "/redirect/", 10) == 0) {
		char loc[700];
		const char *rest = strchr(path + 10, '/');
		snprintf(loc, sizeof loc, "Location: http://127.0.0.1:%.*s%s\r\n",
		         rest ? (int)(rest - (path + 10)) : 0, path + 10, rest ? rest : "/");
		reply(fd, 302, loc, NULL, 0, 0);
		return;
	}
	if (strncmp(path, "/auth/", 6) == 0 && !auth) {
		reply(fd, 401, NULL, "who?\n", 5, 5);
		return;
	}
	if (strncmp(path, "/etag/", 6) == 0 && inm) {
		reply(fd, 304, "ETag: \"v1\"\r\n", NULL, 0, 0);
		return;
	}
	if (strncmp(path, "/slow/", 6) == 0) {
		struct timespec ts = { 5, 0 };
		nanosleep(&ts, NULL);
	}
	body = read_file(name, &len);
	if (!body) {
		reply(fd, 404, NULL, "no such file\n", 13, 13);
		return;
	}
	if (strncmp(path, "/truncated/", 11) == 0)
		reply(fd, 200, NULL, body, len / 2, len + 100);
	else if (strncmp(path, "/etag/", 6) == 0)
		reply(fd, 200, "ETag: \"v1\"\r\n", body, len, len);
	else
		reply(fd, 200, NULL, body, len, len);
	free(body);
}

static void *conn(void *arg)
{
	int fd = (int)(long)arg;

	serve(fd);
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	FILE *pf;
	int s, one = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: httpd DIR PORTFILE LOGFILE\n");
		return 2;
	}
	dir = argv[1];
	logf = fopen(argv[3], "a");
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (!logf || s < 0)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("httpd");
		return 1;
	}
	/* the port file appears whole: written aside, then renamed */
	{
		char tmp[1024];
		snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
		pf = fopen(tmp, "w");
		if (!pf)
			return 1;
		fprintf(pf, "%d\n", ntohs(a.sin_port));
		fclose(pf);
		rename(tmp, argv[2]);
	}
	for (;;) {
		pthread_t t;
		int fd = accept(s, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pthread_create(&t, NULL, conn, (void *)(long)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
}
