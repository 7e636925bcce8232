// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RFC 7717 key of every IKEv2 SA, computed inside charon:
 *
 *     key = prf(SK_d, "IPPM")            (RFC 7717 5.1)
 *
 * with the SA's negotiated PRF.  SK_d stays in charon's keymat; this table
 * only holds the derived key, and wipes it when the SA goes away.
 *
 * Where the key comes from, and why not simply from the sk_d argument of
 * ike_derived_keys: charon calls that hook for the IKE SA the calling thread
 * has checked out, and the INITIATOR of an IKE rekey derives the new SA's
 * keys while it has the OLD SA checked out.  So the hook's ike_sa can be the
 * wrong one.  The table therefore always reads SK_d from the SA's own
 * keymat (keymat_v2 get_skd()): in ike_derived_keys only when it is the
 * SA's own SK_d that was just derived (new SA, rekey responder, a PPK
 * re-derivation), in ike_rekey for the new SA, and in ike_updown(up).
 *
 * Life cycle: an entry answers lookups only once its IKE SA is
 * authenticated (ike_updown up, or ike_rekey of an established SA):
 * after IKE_SA_INIT alone anyone can know SK_d.  ike_updown(down) and the
 * switch to IKE_DESTROYING remove it (a rekeyed SA gets no ike_updown down,
 * only the destroy).
 */
#include "xwamp_listener.h"

#include <daemon.h>
#include <collections/hashtable.h>
#include <crypto/prfs/prf.h>
#include <sa/ikev2/keymat_v2.h>
#include <threading/mutex.h>

#include <endian.h>
#include <stdio.h>

typedef struct private_xwamp_listener_t private_xwamp_listener_t;

struct private_xwamp_listener_t {
	xwamp_listener_t public;
	/* spis_t* -> entry_t* */
	hashtable_t *table;
	mutex_t *lock;
	xwamp_event_cb_t event_cb;
	void *event_data;
};

/* both SPIs as strongSwan keeps them: network order, i.e. wire order */
typedef struct {
	uint64_t spi_i;
	uint64_t spi_r;
} spis_t;

typedef struct {
	spis_t spis;
	pseudo_random_function_t prf;
	/* prf(SK_d, "IPPM"); empty when the PRF could not be instantiated */
	chunk_t key;
	/* authenticated: lookups may answer */
	bool up;
	/* remote IKE address, for LIST and events */
	host_t *peer;
} entry_t;

static u_int spis_hash(const spis_t *key)
{
	return chunk_hash(chunk_from_thing(*key));
}

static bool spis_equals(const spis_t *a, const spis_t *b)
{
	return a->spi_i == b->spi_i && a->spi_r == b->spi_r;
}

static void entry_destroy(entry_t *e)
{
	chunk_clear(&e->key);
	DESTROY_IF(e->peer);
	free(e);
}

static spis_t spis_of(ike_sa_t *ike_sa)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);

	return (spis_t){
		.spi_i = id->get_initiator_spi(id),
		.spi_r = id->get_responder_spi(id),
	};
}

/* "e33d65fab7818ad9 e58d539a5b542c26" */
static void spis_fmt(const spis_t *s, char *buf, size_t len)
{
	snprintf(buf, len, "%016llx %016llx", (unsigned long long)be64toh(s->spi_i),
		 (unsigned long long)be64toh(s->spi_r));
}

static void emit(private_xwamp_listener_t *this, const char *line)
{
	if (this->event_cb)
		this->event_cb(this->event_data, line);
}

/*
 * Compute the SA's key from its own keymat and store it (locked by the
 * caller).  With must_match set, only when the keymat's SK_d is that one.
 * Returns the entry, or NULL (IKEv1, no SK_d yet, not the SA's own SK_d).
 */
static entry_t *store_key(private_xwamp_listener_t *this, ike_sa_t *ike_sa, chunk_t must_match)
{
	keymat_v2_t *keymat;
	pseudo_random_function_t alg;
	chunk_t skd = chunk_empty, key = chunk_empty;
	spis_t spis;
	entry_t *e;
	prf_t *prf;

	if (ike_sa->get_version(ike_sa) != IKEV2)
		return NULL;
	keymat = (keymat_v2_t *)ike_sa->get_keymat(ike_sa);
	alg = keymat->get_skd(keymat, &skd);
	if (!skd.len)
		return NULL;
	if (must_match.len && !chunk_equals_const(skd, must_match))
		return NULL;
	spis = spis_of(ike_sa);

	prf = lib->crypto->create_prf(lib->crypto, alg);
	if (!prf || !prf->set_key(prf, skd) ||
	    !prf->allocate_bytes(prf, chunk_from_str("IPPM"), &key)) {
		DBG1(DBG_IKE, "xwamp: cannot compute prf(SK_d, \"IPPM\") with %N",
		     pseudo_random_function_names, alg);
		chunk_clear(&key);
		key = chunk_empty;
	}
	DESTROY_IF(prf);

	e = this->table->get(this->table, &spis);
	if (!e) {
		INIT(e, .spis = spis, );
		this->table->put(this->table, &e->spis, e);
	}
	chunk_clear(&e->key);
	e->key = key;
	e->prf = alg;
	DESTROY_IF(e->peer);
	e->peer = ike_sa->get_other_host(ike_sa)->clone(ike_sa->get_other_host(ike_sa));
	return e;
}

static void mark_up(private_xwamp_listener_t *this, entry_t *e)
{
	char spis[40], line[128];

	e->up = TRUE;
	spis_fmt(&e->spis, spis, sizeof(spis));
	snprintf(line, sizeof(line), "EVENT UP %s %H", spis, e->peer);
	emit(this, line);
}

static void remove_entry(private_xwamp_listener_t *this, ike_sa_t *ike_sa)
{
	spis_t spis = spis_of(ike_sa);
	char buf[40], line[128];
	entry_t *e;

	e = this->table->remove(this->table, &spis);
	if (!e)
		return;
	if (e->up) {
		spis_fmt(&spis, buf, sizeof(buf));
		snprintf(line, sizeof(line), "EVENT DOWN %s", buf);
		emit(this, line);
	}
	entry_destroy(e);
}

METHOD(listener_t, ike_derived_keys, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       chunk_t sk_d, chunk_t sk_ai, chunk_t sk_ar, chunk_t sk_ei, chunk_t sk_er, chunk_t sk_pi,
       chunk_t sk_pr)
{
	entry_t *e;

	if (!ike_sa || !sk_d.len)
		return TRUE;
	this->lock->lock(this->lock);
	e = store_key(this, ike_sa, sk_d);
	/* a PPK re-derivation of an established SA: the new key takes over */
	if (e)
		DBG2(DBG_IKE, "xwamp: RFC 7717 key derived for IKE_SA %s[%u]",
		     ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_updown, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa, bool up)
{
	entry_t *e;

	this->lock->lock(this->lock);
	if (up) {
		e = store_key(this, ike_sa, chunk_empty);
		if (e)
			mark_up(this, e);
	} else {
		remove_entry(this, ike_sa);
	}
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_rekey, bool, private_xwamp_listener_t *this, ike_sa_t *old, ike_sa_t *new)
{
	spis_t os = spis_of(old);
	char a[40], b[40], line[128];
	entry_t *e, *olde;

	this->lock->lock(this->lock);
	olde = this->table->get(this->table, &os);
	e = store_key(this, new, chunk_empty);
	/* the new SA inherits the old one's authentication (RFC 7296 2.18) */
	if (e && olde && olde->up) {
		e->up = TRUE;
		spis_fmt(&os, a, sizeof(a));
		spis_fmt(&e->spis, b, sizeof(b));
		snprintf(line, sizeof(line), "EVENT REKEY %s %s", a, b);
		emit(this, line);
	}
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       ike_sa_state_t state)
{
	if (state != IKE_DESTROYING)
		return TRUE;
	this->lock->lock(this->lock);
	remove_entry(this, ike_sa);
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(xwamp_listener_t, lookup, void, private_xwamp_listener_t *this, uint64_t spi_i,
       uint64_t spi_r, char *buf, size_t len)
{
	spis_t spis = {.spi_i = spi_i, .spi_r = spi_r};
	char s[40];
	entry_t *e;
	size_t n, i;

	this->lock->lock(this->lock);
	e = this->table->get(this->table, &spis);
	if (!e || !e->up) {
		snprintf(buf, len, "ERR ENOENT no established IKE SA with these SPIs");
	} else if (!e->key.len) {
		snprintf(buf, len, "ERR ENOTSUP no key: %N not available in charon",
			 pseudo_random_function_names, e->prf);
	} else {
		spis_fmt(&spis, s, sizeof(s));
		n = snprintf(buf, len, "KEY %s %N ", s, pseudo_random_function_names, e->prf);
		for (i = 0; i < e->key.len && n + 3 <= len; i++)
			n += snprintf(buf + n, len - n, "%02x", e->key.ptr[i]);
		if (i < e->key.len) {
			memwipe(buf, len);
			snprintf(buf, len, "ERR ENOTSUP key too long for a line");
		}
	}
	this->lock->unlock(this->lock);
}

METHOD(xwamp_listener_t, list, void, private_xwamp_listener_t *this,
       void (*cb)(void *data, const char *line), void *data)
{
	enumerator_t *en;
	char s[40], line[160];
	spis_t *k;
	entry_t *e;

	this->lock->lock(this->lock);
	en = this->table->create_enumerator(this->table);
	while (en->enumerate(en, &k, &e)) {
		spis_fmt(&e->spis, s, sizeof(s));
		snprintf(line, sizeof(line), "SA %s %H %s", s, e->peer, e->up ? "UP" : "PENDING");
		cb(data, line);
	}
	en->destroy(en);
	this->lock->unlock(this->lock);
}

METHOD(xwamp_listener_t, set_event_cb, void, private_xwamp_listener_t *this, xwamp_event_cb_t cb,
       void *data)
{
	this->lock->lock(this->lock);
	this->event_cb = cb;
	this->event_data = data;
	this->lock->unlock(this->lock);
}

METHOD(xwamp_listener_t, destroy, void, private_xwamp_listener_t *this)
{
	enumerator_t *en;
	spis_t *k;
	entry_t *e;

	en = this->table->create_enumerator(this->table);
	while (en->enumerate(en, &k, &e)) {
		this->table->remove_at(this->table, en);
		entry_destroy(e);
	}
	en->destroy(en);
	this->table->destroy(this->table);
	this->lock->destroy(this->lock);
	free(this);
}

xwamp_listener_t *xwamp_listener_create(void)
{
	private_xwamp_listener_t *this;

	INIT(this,
	     .public =
		     {
			     .listener =
				     {
					     .ike_derived_keys = _ike_derived_keys,
					     .ike_updown = _ike_updown,
					     .ike_rekey = _ike_rekey,
					     .ike_state_change = _ike_state_change,
				     },
			     .lookup = _lookup,
			     .list = _list,
			     .set_event_cb = _set_event_cb,
			     .destroy = _destroy,
		     },
	     .table = hashtable_create((hashtable_hash_t)spis_hash, (hashtable_equals_t)spis_equals,
				       32),
	     .lock = mutex_create(MUTEX_TYPE_DEFAULT), );
	return &this->public;
}
