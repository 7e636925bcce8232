// SPDX-License-Identifier: GPL-2.0-only
/*
 * OWAMP send schedules (RFC 4656 3.6, 5.3): contract in schedule.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "crypto.h"
#include "log.h"
#include "schedule.h"
#include "xwamp/wire.h"

int xw_unif_init(struct xw_unif *u, const uint8_t sid[16])
{
	memset(u, 0, sizeof(*u));
	/* U1: "Initialize Rijndael key" with the SID as seed, c <- 0 */
	u->aes = xw_aes_new(sid);
	return u->aes ? 0 : -ENOMEM;
}

uint32_t xw_unif_next(void *arg)
{
	struct xw_unif *u = arg;
	unsigned int i = (unsigned int)(u->c % 4);
	uint32_t out;

	if (i == 0) {
		/* U2: s <- BlockEncrypt(key, c), c as a 16-octet network-order number */
		uint8_t ctr[16] = {0};

		put_be64(ctr + 8, u->c);
		if (xw_aes_ecb_encrypt(u->aes, ctr, u->block, sizeof(ctr)))
			memset(u->block, 0, sizeof(u->block)); /* cannot happen with a key set */
	}
	u->c++; /* U3 */
	/* U4: "the i_th quartet of octets from s starting from high-order octets" */
	out = get_be32(u->block + 4 * i);
	return out;
}

void xw_unif_fini(struct xw_unif *u)
{
	xw_aes_free(u->aes);
	xw_wipe(u, sizeof(*u));
}

int xw_ow_sched_init(struct xw_ow_sched *s, const uint8_t sid[16],
		     const struct codec_ow_slot *slots, uint32_t nslots, uint64_t start)
{
	uint32_t i;
	int err;

	memset(s, 0, sizeof(*s));
	if (!nslots || nslots > XW_OW_SCHED_SLOTS_MAX)
		return -EINVAL;
	for (i = 0; i < nslots; i++)
		if (slots[i].type != CODEC_SLOT_EXP && slots[i].type != CODEC_SLOT_FIXED)
			return -EINVAL;
	s->param = calloc(nslots, sizeof(*s->param));
	s->type = calloc(nslots, sizeof(*s->type));
	if (!s->param || !s->type) {
		xw_ow_sched_fini(s);
		return -ENOMEM;
	}
	for (i = 0; i < nslots; i++) {
		s->param[i] = slots[i].param;
		s->type[i] = slots[i].type;
	}
	err = xw_unif_init(&s->unif, sid);
	if (err) {
		xw_ow_sched_fini(s);
		return err;
	}
	s->nslots = nslots;
	s->start = start;
	return 0;
}

int xw_ow_sched_init_req(struct xw_ow_sched *s, const struct codec_request_session *rq,
			 const uint8_t sid[16])
{
	struct codec_ow_slot *slots = calloc(rq->f.num_slots ? rq->f.num_slots : 1, sizeof(*slots));
	uint32_t i;
	int err;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < rq->f.num_slots; i++)
		codec_ow_slot_at(rq, i, &slots[i]);
	err = xw_ow_sched_init(s, sid, slots, rq->f.num_slots, rq->f.start_time);
	free(slots);
	return err;
}

uint64_t xw_ow_sched_next(struct xw_ow_sched *s)
{
	uint32_t k = s->next;
	uint64_t delay;

	if (s->type[k] == CODEC_SLOT_FIXED)
		delay = s->param[k];
	else
		delay = xw_exp_variate(s->param[k], xw_unif_next, &s->unif);
	s->elapsed += delay;
	s->next = k + 1 == s->nslots ? 0 : k + 1; /* RFC 4656 3.6: "circular" */
	s->seq++;
	return s->start + s->elapsed;
}

uint64_t xw_ow_sched_time_of(struct xw_ow_sched *s, uint32_t seq)
{
	uint64_t t = s->start + s->elapsed;

	if (s->seq && seq == s->seq - 1)
		return t;   /* the one handed out last */
	if (seq < s->seq) { /* start over: the generator cannot go back */
		s->unif.c = 0;
		s->next = 0;
		s->elapsed = 0;
		s->seq = 0;
	}
	while (s->seq <= seq)
		t = xw_ow_sched_next(s);
	return t;
}

void xw_ow_sched_fini(struct xw_ow_sched *s)
{
	xw_unif_fini(&s->unif);
	free(s->param);
	free(s->type);
	memset(s, 0, sizeof(*s));
}
