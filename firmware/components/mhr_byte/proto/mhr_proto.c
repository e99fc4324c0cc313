/*
 * The board side of docs/PROTOCOL.md: a receive state machine fed one wire
 * byte at a time, a dispatcher, and a streaming reply writer.
 *
 * Receive path. COBS is decoded on the fly; the 14 header bytes go to a small
 * array, payload bytes go straight into the VM's job buffer (never past its
 * capacity), the 4 CRC bytes to another small array, and the CRC-32 is
 * accumulated as bytes arrive. Every check happens when the delimiter comes,
 * so a frame is judged whole or not at all, and whatever it was, the next
 * delimiter starts a fresh frame: the link resynchronises by construction.
 *
 * Transmit path. Replies are COBS-encoded group by group (255-byte block) with
 * the CRC computed as the bytes pass; result and state bytes are sent from the
 * VM's own buffers.
 *
 * Kept reply. The last RUN, BENCH or STATE reply is remembered — its metrics
 * in a small array, its body as a pointer into the VM's buffers — so that a
 * host whose copy arrived damaged can READ it again chunk by chunk (each
 * chunk its own CRC-checked frame) instead of running the job again: a large
 * result then crosses a noisy link one small frame at a time.
 */
#include "mhr_proto.h"
#include "mhr_byte.h"
#include "mhr_opcodes.h"

/* ---- little-endian helpers ----------------------------------------------- */

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put_u64(uint8_t *p, uint64_t v) {
  put_u32(p, (uint32_t)v);
  put_u32(p + 4, (uint32_t)(v >> 32));
}
static size_t str_len(const char *s) {
  size_t n = 0;
  if (s) while (s[n] != '\0') n++;
  return n;
}

/* ---- server state --------------------------------------------------------- */

typedef struct rx {
  mhr_cobs_dec_t cobs;
  uint32_t wire;        /* wire bytes in this frame (saturating) */
  uint32_t n;           /* decoded bytes in this frame (saturating) */
  uint32_t crc;         /* CRC-32 of decoded bytes 0 .. 13+len */
  uint8_t hdr[MHR_PROTO_HEADER_SIZE];
  uint8_t tail[MHR_PROTO_TRAILER_SIZE];
  int hdr_ok;
  uint8_t version, type;
  uint16_t id;
  uint32_t arg, len;
} rx_t;

/* The last RUN/BENCH/STATE reply: header fields, metrics, and where its body lives. */
typedef struct kept {
  int valid;
  int in_job;           /* the body lives in the job buffer (STATE): a payload written there ends it */
  uint8_t type;         /* the reply's message type */
  uint16_t id;          /* the request it answered */
  uint8_t meta[MHR_PROTO_BENCH_METRICS_SIZE];
  uint32_t meta_len;
  const uint8_t *body;
  uint32_t body_len;
} kept_t;

typedef struct server {
  const mhr_hal_t *hal;
  uint8_t *job;
  size_t cap;
  int vm_ok;
  int state_valid;      /* the VM's last-run state is reportable (no payload overwrote the job buffer since) */
  rx_t rx;
  mhr_cobs_enc_t enc;
  uint32_t tx_crc;
  /* Encoded bytes wait here and go to the port in runs of up to TX_STAGE: a
   * zero-rich payload encodes as many one-byte COBS groups, and one port write
   * per group would reach the host as hundreds of tiny pieces. */
  uint8_t stage[MHR_PROTO_TX_STAGE];
  uint32_t staged;
  kept_t kept;
} server_t;

/* ---- transmit ------------------------------------------------------------- */

static void tx_flush(server_t *s) {
  if (s->staged) s->hal->write(s->hal->ctx, s->stage, s->staged);
  s->staged = 0;
}

static void tx_sink(void *ctx, const uint8_t *data, size_t len) {
  server_t *s = (server_t *)ctx;
  if (s->staged + len > sizeof s->stage) tx_flush(s);
  if (len >= sizeof s->stage) { s->hal->write(s->hal->ctx, data, len); return; }
  for (size_t i = 0; i < len; i++) s->stage[s->staged + i] = data[i];
  s->staged += (uint32_t)len;
}

static void tx_put(server_t *s, const uint8_t *data, size_t len) {
  s->tx_crc = mhr_crc32_update(s->tx_crc, data, len);
  mhr_cobs_enc_put(&s->enc, data, len);
}

/* Starts a frame; the caller then puts exactly len payload bytes and calls tx_end. */
static void tx_begin(server_t *s, uint8_t type, uint16_t id, uint32_t arg, uint32_t len) {
  uint8_t h[MHR_PROTO_HEADER_SIZE];
  h[0] = (uint8_t)MHR_PROTO_VERSION;
  h[1] = type;
  h[2] = (uint8_t)id; h[3] = (uint8_t)(id >> 8);
  put_u32(h + 4, arg);
  put_u32(h + 8, len);
  uint32_t check = mhr_crc32_update(0, h, 12);
  h[12] = (uint8_t)check; h[13] = (uint8_t)(check >> 8);
  s->enc.sink = tx_sink;
  s->enc.ctx = s;
  s->tx_crc = 0;
  mhr_cobs_enc_begin(&s->enc);
  tx_put(s, h, sizeof h);
}

static void tx_end(server_t *s) {
  uint8_t t[4];
  put_u32(t, s->tx_crc);
  mhr_cobs_enc_put(&s->enc, t, 4);
  mhr_cobs_enc_end(&s->enc);
  tx_flush(s);
}

static void send_error(server_t *s, uint16_t id, uint32_t code) {
  tx_begin(s, (uint8_t)MHR_MSG_ERROR, id, code, 0);
  tx_end(s);
}

/* ---- HELLO: a deterministic CBOR map with small unsigned keys ------------- */

/* Writes a CBOR head (major type, argument) into p; returns its length. */
static size_t cbor_head(uint8_t *p, uint8_t major, uint32_t v) {
  major = (uint8_t)(major << 5);
  if (v < 24u) { p[0] = (uint8_t)(major | v); return 1; }
  if (v <= 0xFFu) { p[0] = (uint8_t)(major | 24u); p[1] = (uint8_t)v; return 2; }
  if (v <= 0xFFFFu) { p[0] = (uint8_t)(major | 25u); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v; return 3; }
  p[0] = (uint8_t)(major | 26u);
  p[1] = (uint8_t)(v >> 24); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 8); p[4] = (uint8_t)v;
  return 5;
}

typedef struct hello_field { uint8_t key; const char *text; uint32_t num; } hello_field_t;

/* The map is built twice, once to measure and once to send (no buffer). */
static uint32_t hello_emit(server_t *s, const hello_field_t *f, size_t count, int send) {
  uint8_t head[5];
  uint32_t total = 0;
  size_t hl = cbor_head(head, 5, (uint32_t)count);
  if (send) tx_put(s, head, hl);
  total += (uint32_t)hl;
  for (size_t i = 0; i < count; i++) {
    hl = cbor_head(head, 0, f[i].key);
    if (send) tx_put(s, head, hl);
    total += (uint32_t)hl;
    if (f[i].text) {
      size_t n = str_len(f[i].text);
      if (n > MHR_PROTO_HELLO_TEXT_MAX) n = MHR_PROTO_HELLO_TEXT_MAX;
      hl = cbor_head(head, 3, (uint32_t)n);
      if (send) { tx_put(s, head, hl); tx_put(s, (const uint8_t *)f[i].text, n); }
      total += (uint32_t)(hl + n);
    } else {
      hl = cbor_head(head, 0, f[i].num);
      if (send) tx_put(s, head, hl);
      total += (uint32_t)hl;
    }
  }
  return total;
}

static uint32_t features(const server_t *s) {
  uint32_t f = MHR_FEAT_READ;
  if (s->hal->instret) f |= MHR_FEAT_INSTRET;
  if (s->hal->reset) f |= MHR_FEAT_RESET;
  if (s->vm_ok) f |= MHR_FEAT_VM_READY;
  return f;
}

static uint32_t read_cycles(const server_t *s) {
  return s->hal->cycles ? s->hal->cycles(s->hal->ctx) : 0u;
}
static uint32_t read_instret(const server_t *s) {
  return s->hal->instret ? s->hal->instret(s->hal->ctx) : 0u;
}

static void send_hello(server_t *s, uint16_t id) {
  uint32_t t0 = read_cycles(s);
  uint32_t t1 = read_cycles(s);
  const char *build = mhr_byte_build_id();
  hello_field_t f[11];
  f[0].key = 0;  f[0].text = 0;                    f[0].num = MHR_PROTO_VERSION;
  f[1].key = 1;  f[1].text = 0;                    f[1].num = MHR_SPEC_VERSION;
  f[2].key = 2;  f[2].text = s->hal->chip ? s->hal->chip : "";           f[2].num = 0;
  f[3].key = 3;  f[3].text = 0;                    f[3].num = s->hal->cpu_hz;
  f[4].key = 4;  f[4].text = s->hal->port_name ? s->hal->port_name : ""; f[4].num = 0;
  f[5].key = 5;  f[5].text = MHR_FIRMWARE_VERSION; f[5].num = 0;
  f[6].key = 6;  f[6].text = build ? build : "";   f[6].num = 0;
  f[7].key = 7;  f[7].text = 0;                    f[7].num = (uint32_t)s->cap;
  f[8].key = 8;  f[8].text = 0;                    f[8].num = MHR_PROTO_MAX_BENCH;
  f[9].key = 9;  f[9].text = 0;                    f[9].num = features(s);
  f[10].key = 10; f[10].text = 0;                  f[10].num = t1 - t0;
  uint32_t len = hello_emit(s, f, 11, 0);
  tx_begin(s, (uint8_t)(MHR_MSG_HELLO | MHR_MSG_REPLY), id, 0, len);
  (void)hello_emit(s, f, 11, 1);
  tx_end(s);
}

/* ---- the kept reply --------------------------------------------------------- */

/* Bytes [off, off + n) of the kept reply's payload (metrics, then body). */
static void tx_kept_range(server_t *s, uint32_t off, uint32_t n) {
  const kept_t *k = &s->kept;
  if (off < k->meta_len) {
    uint32_t m = k->meta_len - off < n ? k->meta_len - off : n;
    tx_put(s, k->meta + off, m);
    off += m;
    n -= m;
  }
  if (n) tx_put(s, k->body + (off - k->meta_len), n);
}

/* Remembers a reply (metrics copied, body by reference) and sends it whole. */
static void send_kept(server_t *s, uint8_t type, const uint8_t *meta, uint32_t meta_len, const uint8_t *body, uint32_t body_len, int in_job) {
  kept_t *k = &s->kept;
  k->type = type;
  k->id = s->rx.id;
  for (uint32_t i = 0; i < meta_len; i++) k->meta[i] = meta[i];
  k->meta_len = meta_len;
  k->body = body;
  k->body_len = body_len;
  k->in_job = in_job;
  k->valid = 1;
  tx_begin(s, type, k->id, 0, meta_len + body_len);
  tx_kept_range(s, 0, meta_len + body_len);
  tx_end(s);
}

/* READ: arg = offset | length << 16; the reply says what it is a copy of. */
static void cmd_read(server_t *s) {
  const kept_t *k = &s->kept;
  if (!k->valid) { send_error(s, s->rx.id, MHR_PERR_NO_REPLY); return; }
  uint32_t total = k->meta_len + k->body_len;
  uint32_t off = s->rx.arg & 0xFFFFu, n = s->rx.arg >> 16;
  if (n == 0 || off >= total) { send_error(s, s->rx.id, MHR_PERR_BAD_ARGUMENT); return; }
  if (n > total - off) n = total - off;
  uint8_t h[MHR_PROTO_READ_HEADER_SIZE];
  h[0] = k->type; h[1] = 0; h[2] = (uint8_t)k->id; h[3] = (uint8_t)(k->id >> 8);
  tx_begin(s, (uint8_t)(MHR_MSG_READ | MHR_MSG_REPLY), s->rx.id, total, (uint32_t)sizeof h + n);
  tx_put(s, h, sizeof h);
  tx_kept_range(s, off, n);
  tx_end(s);
}

/* ---- commands ------------------------------------------------------------- */

/* Runs the job once; returns the result length (0 = VM failure). A run ends the kept reply: its body may be the VM's result buffer. */
static size_t run_once(server_t *s, uint32_t job_len, const uint8_t **result, uint32_t *cycles, uint32_t *instret) {
  const uint8_t *r = 0;
  s->kept.valid = 0;
  uint32_t i0 = read_instret(s);
  uint32_t c0 = read_cycles(s);
  size_t n = mhr_byte_run((size_t)job_len, &r);
  uint32_t c1 = read_cycles(s);
  uint32_t i1 = read_instret(s);
  *cycles = c1 - c0;
  *instret = i1 - i0;
  *result = r;
  /* A reply payload never exceeds MHR_PROTO_MAX_PAYLOAD, metrics included. */
  if (r == 0 || n == 0 || n > MHR_PROTO_MAX_RESULT) return 0;
  return n;
}

static void cmd_run(server_t *s) {
  const uint8_t *result;
  uint32_t cycles, instret;
  size_t n = run_once(s, s->rx.len, &result, &cycles, &instret);
  s->state_valid = 1;
  if (n == 0) { send_error(s, s->rx.id, MHR_PERR_VM_FAILURE); return; }
  uint8_t m[MHR_PROTO_RUN_METRICS_SIZE];
  put_u32(m, cycles);
  put_u32(m + 4, instret);
  put_u32(m + 8, features(s) & MHR_FEAT_INSTRET);
  send_kept(s, (uint8_t)(MHR_MSG_RUN | MHR_MSG_REPLY), m, sizeof m, result, (uint32_t)n, 0);
}

static void cmd_bench(server_t *s) {
  uint32_t iterations = s->rx.arg;
  if (iterations == 0 || iterations > MHR_PROTO_MAX_BENCH) {
    send_error(s, s->rx.id, MHR_PERR_BAD_ARGUMENT);
    return;
  }
  uint64_t total_c = 0, total_i = 0;
  uint32_t min_c = 0xFFFFFFFFu, max_c = 0, min_i = 0xFFFFFFFFu, max_i = 0;
  uint32_t first_crc = 0, flags = (features(s) & MHR_FEAT_INSTRET) ? MHR_BENCH_INSTRET : 0u;
  const uint8_t *result = 0;
  size_t n = 0, first_n = 0;
  for (uint32_t k = 0; k < iterations; k++) {
    uint32_t c, i;
    if (k > 0) mhr_byte_restore(); /* the last run rewrote the code (internal form): the same bytes again */
    n = run_once(s, s->rx.len, &result, &c, &i);
    if (n == 0) break;
    total_c += c; total_i += i;
    if (c < min_c) min_c = c;
    if (c > max_c) max_c = c;
    if (i < min_i) min_i = i;
    if (i > max_i) max_i = i;
    /* Outside the measured span: every run of one job must give one result. */
    uint32_t crc = mhr_crc32_update(0, result, n);
    if (k == 0) { first_crc = crc; first_n = n; }
    else if (crc != first_crc || n != first_n) flags |= MHR_BENCH_RESULT_VARIED;
  }
  s->state_valid = 1;
  if (n == 0) { send_error(s, s->rx.id, MHR_PERR_VM_FAILURE); return; }
  uint8_t m[MHR_PROTO_BENCH_METRICS_SIZE];
  put_u32(m, iterations);
  put_u32(m + 4, flags);
  put_u64(m + 8, total_c);
  put_u32(m + 16, min_c);
  put_u32(m + 20, max_c);
  put_u64(m + 24, total_i);
  put_u32(m + 32, min_i);
  put_u32(m + 36, max_i);
  send_kept(s, (uint8_t)(MHR_MSG_BENCH | MHR_MSG_REPLY), m, sizeof m, result, (uint32_t)n, 0);
}

static void cmd_state(server_t *s) {
  size_t n = 0;
  const uint8_t *st = s->state_valid ? mhr_byte_state(&n) : 0;
  if (st == 0 || n == 0 || n > MHR_PROTO_MAX_PAYLOAD) { send_error(s, s->rx.id, MHR_PERR_NO_STATE); return; }
  send_kept(s, (uint8_t)(MHR_MSG_STATE | MHR_MSG_REPLY), 0, 0, st, (uint32_t)n, 1);
}

static void cmd_reset(server_t *s) {
  /* Reply first: the hook may reboot the chip and never return. */
  tx_begin(s, (uint8_t)(MHR_MSG_RESET | MHR_MSG_REPLY), s->rx.id, 0, 0);
  tx_end(s);
  if (s->hal->reset) s->hal->reset(s->hal->ctx);
  s->vm_ok = mhr_byte_init() == 0;
  s->cap = 0;
  s->job = mhr_byte_job_buffer(&s->cap);
  if (s->job == 0) s->cap = 0;
  if (s->cap > 0x7FFFFFFFu) s->cap = 0x7FFFFFFFu;
  s->state_valid = 0;
  s->kept.valid = 0;
}

static void dispatch(server_t *s) {
  rx_t *r = &s->rx;
  switch (r->type) {
    case MHR_MSG_READ:
      if (r->len != 0) { send_error(s, r->id, MHR_PERR_BAD_ARGUMENT); return; }
      cmd_read(s);
      return;
    case MHR_MSG_HELLO:
    case MHR_MSG_STATE:
    case MHR_MSG_RESET:
      if (r->len != 0 || r->arg != 0) { send_error(s, r->id, MHR_PERR_BAD_ARGUMENT); return; }
      if (r->type == MHR_MSG_HELLO) send_hello(s, r->id);
      else if (r->type == MHR_MSG_STATE) cmd_state(s);
      else cmd_reset(s);
      return;
    case MHR_MSG_RUN:
    case MHR_MSG_BENCH:
      if (r->type == MHR_MSG_RUN && r->arg != 0) { send_error(s, r->id, MHR_PERR_BAD_ARGUMENT); return; }
      if (!s->vm_ok) { send_error(s, r->id, MHR_PERR_VM_FAILURE); return; }
      if (r->type == MHR_MSG_RUN) cmd_run(s); else cmd_bench(s);
      return;
    default:
      send_error(s, r->id, MHR_PERR_UNKNOWN_COMMAND);
      return;
  }
}

/* ---- receive -------------------------------------------------------------- */

static void rx_reset(rx_t *r) {
  r->cobs.left = 0;
  r->cobs.code = 0;
  r->wire = 0;
  r->n = 0;
  r->crc = 0;
  r->hdr_ok = 0;
}

/* One decoded byte at position r->n. */
static void rx_data(server_t *s, uint8_t d) {
  rx_t *r = &s->rx;
  uint32_t pos = r->n;
  if (r->n != 0xFFFFFFFFu) r->n++;
  if (pos < MHR_PROTO_HEADER_SIZE) {
    r->hdr[pos] = d;
    r->crc = mhr_crc32_update(r->crc, &d, 1);
    if (pos == MHR_PROTO_HEADER_SIZE - 1u) {
      uint32_t check = mhr_crc32_update(0, r->hdr, 12) & 0xFFFFu;
      r->hdr_ok = check == ((uint32_t)r->hdr[12] | ((uint32_t)r->hdr[13] << 8));
      r->version = r->hdr[0];
      r->type = r->hdr[1];
      r->id = (uint16_t)(r->hdr[2] | (r->hdr[3] << 8));
      r->arg = get_u32(r->hdr + 4);
      r->len = get_u32(r->hdr + 8);
    }
    return;
  }
  if (!r->hdr_ok) return;
  uint32_t p = pos - MHR_PROTO_HEADER_SIZE;
  if (p < r->len) {
    r->crc = mhr_crc32_update(r->crc, &d, 1);
    if (p < s->cap) {
      s->job[p] = d;
      s->state_valid = 0;
      if (s->kept.in_job) s->kept.valid = 0;
    }
  } else if (p - r->len < MHR_PROTO_TRAILER_SIZE) {
    r->tail[p - r->len] = d;
  }
}

/* The delimiter: judge the frame, reply, start over. */
static void rx_end(server_t *s) {
  rx_t *r = &s->rx;
  if (r->wire == 0) return; /* empty frame: delimiters back to back are padding */
  int cobs_ok = mhr_cobs_dec_complete(&r->cobs);
  if (r->n < MHR_PROTO_HEADER_SIZE) { send_error(s, 0, MHR_PERR_BAD_FRAME); return; }
  if (!r->hdr_ok) { send_error(s, 0, MHR_PERR_BAD_HEADER); return; }
  if (r->version != MHR_PROTO_VERSION) { send_error(s, r->id, MHR_PERR_UNSUPPORTED_VERSION); return; }
  if (r->len > s->cap) { send_error(s, r->id, MHR_PERR_FRAME_TOO_LARGE); return; }
  uint32_t want = MHR_PROTO_OVERHEAD + r->len; /* len <= cap <= 2^31: no overflow */
  if (!cobs_ok || r->n < want) { send_error(s, r->id, MHR_PERR_TRUNCATED); return; }
  if (r->n > want) { send_error(s, r->id, MHR_PERR_BAD_LENGTH); return; }
  if (get_u32(r->tail) != r->crc) { send_error(s, r->id, MHR_PERR_BAD_CRC); return; }
  dispatch(s);
}

int mhr_proto_serve(const mhr_hal_t *hal) {
  static server_t s; /* static: ~360 bytes that must not live on a small task stack */
  s.hal = hal;
  s.vm_ok = mhr_byte_init() == 0;
  s.cap = 0;
  s.job = mhr_byte_job_buffer(&s.cap);
  if (s.job == 0) s.cap = 0;
  if (s.cap > 0x7FFFFFFFu) s.cap = 0x7FFFFFFFu;
  s.state_valid = 0;
  s.kept.valid = 0;
  rx_reset(&s.rx);
  send_hello(&s, 0); /* unsolicited: "I (re)started" */
  for (;;) {
    int c = hal->read_byte(hal->ctx);
    if (c < 0) return 0;
    uint8_t b = (uint8_t)c;
    if (b == 0) {
      rx_end(&s);
      rx_reset(&s.rx);
      continue;
    }
    if (s.rx.wire != 0xFFFFFFFFu) s.rx.wire++;
    uint8_t d;
    if (mhr_cobs_dec_byte(&s.rx.cobs, b, &d)) rx_data(&s, d);
  }
}
