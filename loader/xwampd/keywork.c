// SPDX-License-Identifier: GPL-2.0-only
/*
 * The key worker (contract in keywork.h).
 *
 * Ownership: a job is allocated by the loop (submit), sits in the todo list
 * (mutex), is worked on by the thread without the lock, moves to the done
 * list (mutex), and is freed by the loop when it collects it.  owner and
 * done are touched by the loop thread only; cancel clears owner, so the
 * loop never calls back into a connection that is gone, and sets the
 * atomic flag that lets the thread skip a job it has not begun.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "crypto.h"
#include "keywork.h"
#include "log.h"

/* The worker's nice value: the loop (reflector, control) goes first on a busy CPU. */
#define KEYWORK_NICE 10

struct xwd_keyjob {
	struct xwd_keyjob *next;
	struct srv_key_req req;
	struct srv_key_res res;
	/* an SA job (xwd_keywork_submit_sa): peer in, the pair's names out */
	bool sa_job;
	struct xw_addr peer;
	uint32_t sa_proto, sa_spi_i, sa_spi_r;
	char who[80];
	atomic_bool cancelled;
	/* loop thread only */
	xwd_keyjob_fn done;
	xwd_sajob_fn sa_done;
	void *owner;
};

struct xwd_keywork {
	struct xw_loop *loop;
	struct xwd_keys *keys;
	pthread_t thread;
	bool started;
	int efd;
	struct xw_io io;
	unsigned int pending; /* submitted, not collected (loop thread only) */

	pthread_mutex_t mu; /* protects everything below */
	pthread_cond_t cv;
	struct xwd_keyjob *todo, **todo_tail;
	struct xwd_keyjob *done, **done_tail;
	bool reload, stop;
};

static void job_free(struct xwd_keyjob *j)
{
	xw_wipe(j, sizeof(*j));
	free(j);
}

/* The key step itself: the same work for a known and an unknown KeyID (srv.h). */
static void job_run(struct xwd_keywork *w, struct xwd_keyjob *j)
{
	uint8_t secret[SRV_SECRET_MAX];
	size_t len = 0;
	int rc;

	if (j->sa_job) {
		j->res.accept = xwd_keys_sa_by_peer(w->keys, &j->peer, &j->sa_proto, &j->sa_spi_i,
						    &j->sa_spi_r);
		return;
	}
	rc = xwd_keys_lookup(w->keys, j->who, &j->req, secret, &len);
	srv_key_derive(&j->req, rc, secret, len, &j->res);
	xw_wipe(secret, sizeof(secret));
	xw_wipe(&j->req, sizeof(j->req));
}

static void *worker(void *arg)
{
	struct xwd_keywork *w = arg;
	struct xwd_keyjob *j;
	uint64_t one = 1;
	ssize_t k;

	/* per thread on Linux: PBKDF2 yields to the loop when the CPUs are busy */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), KEYWORK_NICE))
		pr_debug("key worker: setpriority: %s", strerror(errno));
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->todo && !w->reload && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		if (w->reload) {
			w->reload = false;
			pthread_mutex_unlock(&w->mu);
			xwd_keys_reload(w->keys);
			pthread_mutex_lock(&w->mu);
			continue;
		}
		j = w->todo;
		w->todo = j->next;
		if (!w->todo)
			w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->mu);

		if (atomic_load(&j->cancelled))
			j->res.accept = -ECANCELED;
		else
			job_run(w, j);

		pthread_mutex_lock(&w->mu);
		j->next = NULL;
		*w->done_tail = j;
		w->done_tail = &j->next;
		/* an eventfd counter does not overflow here; EAGAIN only if it could */
		k = write(w->efd, &one, sizeof(one));
		(void)k;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Results back in the loop. */
static void keywork_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_keywork *w = io->arg;
	struct xwd_keyjob *list, *j;
	uint64_t n;
	ssize_t k;

	k = read(w->efd, &n, sizeof(n));
	(void)k;
	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	while ((j = list)) {
		list = j->next;
		w->pending--;
		/* the callback may free its connection, which cancels nothing but its own job */
		if (j->owner && j->sa_job)
			j->sa_done(j->owner, j->res.accept, j->sa_proto, j->sa_spi_i, j->sa_spi_r);
		else if (j->owner)
			j->done(j->owner, &j->res);
		job_free(j);
	}
}

int xwd_keywork_start(struct xw_loop *l, struct xwd_keys *keys, struct xwd_keywork **out)
{
	struct xwd_keywork *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->loop = l;
	w->keys = keys;
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = xw_loop_add(l, &w->io, w->efd, EPOLLIN, keywork_event, w);
	if (rc)
		goto fail;
	/* signals are for the loop's signalfd: the thread blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&w->thread, NULL, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		goto fail;
	w->started = true;
	*out = w;
	return 0;
fail:
	xw_loop_del(l, &w->io);
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return rc;
}

void xwd_keywork_stop(struct xwd_keywork *w)
{
	struct xwd_keyjob *j;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	while ((j = w->todo)) {
		w->todo = j->next;
		job_free(j);
	}
	while ((j = w->done)) {
		w->done = j->next;
		job_free(j);
	}
	xw_loop_del(w->loop, &w->io);
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* A new job for owner, or NULL (*rc set). */
static struct xwd_keyjob *job_new(struct xwd_keywork *w, const char *who, void *owner, int *rc)
{
	struct xwd_keyjob *j;

	*rc = XW_ACCEPT_TEMP_LIMIT;
	if (w->pending >= XWD_KEYWORK_MAX)
		return NULL;
	*rc = -ENOMEM;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	snprintf(j->who, sizeof(j->who), "%s", who);
	atomic_init(&j->cancelled, false);
	j->owner = owner;
	return j;
}

/* Queue j: the worker takes it. */
static void job_queue(struct xwd_keywork *w, struct xwd_keyjob *j)
{
	w->pending++;
	pthread_mutex_lock(&w->mu);
	*w->todo_tail = j;
	w->todo_tail = &j->next;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int xwd_keywork_submit_sa(struct xwd_keywork *w, const struct xw_addr *peer, const char *who,
			  xwd_sajob_fn done, void *owner, struct xwd_keyjob **job)
{
	int rc;
	struct xwd_keyjob *j = job_new(w, who, owner, &rc);

	if (!j)
		return rc;
	j->sa_job = true;
	j->peer = *peer;
	j->sa_done = done;
	job_queue(w, j);
	*job = j;
	return 0;
}

int xwd_keywork_submit(struct xwd_keywork *w, const struct srv_key_req *req, const char *who,
		       xwd_keyjob_fn done, void *owner, struct xwd_keyjob **job)
{
	int rc;
	struct xwd_keyjob *j = job_new(w, who, owner, &rc);

	if (!j)
		return rc;
	j->req = *req;
	j->done = done;
	job_queue(w, j);
	*job = j;
	return 0;
}

void xwd_keywork_cancel(struct xwd_keywork *w, struct xwd_keyjob *job)
{
	(void)w;
	job->owner = NULL;
	atomic_store(&job->cancelled, true);
}

void xwd_keywork_reload(struct xwd_keywork *w)
{
	pthread_mutex_lock(&w->mu);
	w->reload = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}
