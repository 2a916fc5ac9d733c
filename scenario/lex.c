/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lexer: splits the source into logical lines of tokens (spec section 1).
 * A "\" that ends a physical line (outside strings, before any comment)
 * joins the next one; "#" starts a comment; "," is a token of its own so
 * that signal lists may be written "lsb=12, SIGBUS ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

void lex_init(struct lexer *lx, const char *path, const char *buf, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->path = path;
	lx->buf = buf;
	lx->len = len;
	lx->line = 1;
	lx->eof_line = 1;
	lx->eof_col = 1;
}

void lexline_reset(struct lexline *ll)
{
	for (int i = 0; i < ll->n; i++)
		free(ll->t[i].s);
	ll->n = 0;
}

void lexline_free(struct lexline *ll)
{
	lexline_reset(ll);
	free(ll->t);
	ll->t = NULL;
	ll->cap = 0;
}

static struct tok *push(struct lexline *ll)
{
	ARRAY_GROW(ll->t, ll->n, ll->cap, "reading a line of tokens");
	memset(&ll->t[ll->n], 0, sizeof(ll->t[0]));
	return &ll->t[ll->n++];
}

/* Printable rendering of arbitrary bytes, for error messages. */
static void quote_bytes(char *out, size_t olen, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < olen; i++) {
		unsigned char c = s[i];

		/* cut only between characters: messages stay valid UTF-8 */
		if (i >= 40 && (c & 0xc0) != 0x80) {
			o += snprintf(out + o, olen - o, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f)
			o += snprintf(out + o, olen - o, "\\x%02x", c);
		else
			out[o++] = c;
	}
	out[o < olen ? o : olen - 1] = 0;
}

void tok_describe(const struct tok *t, char *buf, size_t len)
{
	char q[200];

	if (!t) {
		snprintf(buf, len, "end of line");
		return;
	}
	quote_bytes(q, sizeof(q), t->s, t->len);
	if (t->kind == T_STR)
		snprintf(buf, len, "\"%s\"", q);
	else
		snprintf(buf, len, "'%s'", q);
}

void perr_at(struct mf_parse_error *err, const char *path, int line, int col,
	     const char *found, const char *fmt, va_list ap)
{
	char exp[256];

	vsnprintf(exp, sizeof(exp), fmt, ap);
	err->line = line;
	err->col = col;
	snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: error: found %s, expected %s",
		 path, line, col, found, exp);
}

static int lerr(struct lexer *lx, struct mf_parse_error *err, int line, int col,
		const char *found, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	perr_at(err, lx->path, line, col, found, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), or 0: overlong
 * forms, surrogates and code points above U+10FFFF are invalid too.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The physical line from lstart is UTF-8 without byte-order marks; else an error. */
static int check_utf8(struct lexer *lx, size_t lstart, struct mf_parse_error *err)
{
	const unsigned char *b = (const unsigned char *)lx->buf;
	size_t i = lstart, n;

	while (i < lx->len && b[i] != '\n') {
		int col = (int)(i - lstart) + 1;

		n = utf8_len(b + i, lx->len - i);
		if (n == 3 && b[i] == 0xef && b[i + 1] == 0xbb && b[i + 2] == 0xbf)
			return lerr(lx, err, lx->line, col, i ? "a byte-order mark (U+FEFF)" :
				    "a UTF-8 byte-order mark (bytes EF BB BF) at the start of the file",
				    "scenario text without one (save the file as UTF-8 without BOM)");
		if (!n) {
			char f[16];

			snprintf(f, sizeof(f), "byte 0x%02x", b[i]);
			return lerr(lx, err, lx->line, col, f, "UTF-8 text (an invalid or incomplete "
				    "UTF-8 sequence starts here)");
		}
		i += n;
	}
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The rest of the physical line from i is blanks or a comment. */
static bool rest_empty(const struct lexer *lx, size_t i)
{
	while (i < lx->len && lx->buf[i] != '\n') {
		if (lx->buf[i] == '#')
			return true;
		if (!blank(lx->buf[i]))
			return false;
		i++;
	}
	return true;
}

static void skip_to_eol(struct lexer *lx)
{
	while (lx->pos < lx->len && lx->buf[lx->pos] != '\n')
		lx->pos++;
}

static int lex_string(struct lexer *lx, struct lexline *ll, size_t lstart,
		      struct mf_parse_error *err)
{
	size_t start = lx->pos;
	const char *eol = memchr(lx->buf + start, '\n', lx->len - start);
	struct tok *t = push(ll);
	char *s = xmalloc((eol ? (size_t)(eol - lx->buf) : lx->len) - start + 1, "reading a string");
	size_t n = 0;

	t->kind = T_STR;
	t->s = s;
	t->line = lx->line;
	t->col = (int)(start - lstart) + 1;
	lx->pos++;
	for (;;) {
		char c;

		if (lx->pos >= lx->len || lx->buf[lx->pos] == '\n') {
			s[n] = 0;
			t->len = n;
			return lerr(lx, err, lx->line, (int)(lx->pos - lstart) + 1,
				    "end of line", "'\"' closing the string");
		}
		c = lx->buf[lx->pos++];
		if (c == '"')
			break;
		if (c == '\\') {
			char e = lx->pos < lx->len ? lx->buf[lx->pos] : 0;
			char f[16];

			if (e == '"' || e == '\\')
				c = e;
			else if (e == 'n')
				c = '\n';
			else {
				quote_bytes(f + 1, sizeof(f) - 2, &lx->buf[lx->pos - 1],
					    e && e != '\n' ? 2 : 1);
				f[0] = '\'';
				strcat(f, "'");
				s[n] = 0;
				t->len = n;
				return lerr(lx, err, lx->line, (int)(lx->pos - 1 - lstart) + 1,
					    f, "an escape \\\" \\\\ or \\n");
			}
			lx->pos++;
		} else if ((unsigned char)c < 0x20 && c != '\t') {
			char f[16];

			quote_bytes(f + 1, sizeof(f) - 2, &c, 1);
			f[0] = '\'';
			strcat(f, "'");
			s[n] = 0;
			t->len = n;
			return lerr(lx, err, lx->line, (int)(lx->pos - 1 - lstart) + 1, f,
				    "a printable character");
		}
		s[n++] = c;
	}
	s[n] = 0;
	t->len = n;
	t->width = (int)(lx->pos - start);
	return 0;
}

int lex_line(struct lexer *lx, struct lexline *ll, struct mf_parse_error *err)
{
	lexline_reset(ll);
	while (lx->pos < lx->len) {
		size_t lstart = lx->pos;
		bool cont = false;

		if (check_utf8(lx, lstart, err))
			return -1;

		while (lx->pos < lx->len && lx->buf[lx->pos] != '\n') {
			char c = lx->buf[lx->pos];

			if (blank(c)) {
				lx->pos++;
			} else if (c == '#') {
				skip_to_eol(lx);
			} else if (c == '\\' && rest_empty(lx, lx->pos + 1)) {
				cont = true;
				skip_to_eol(lx);
			} else if (c == '"') {
				if (lex_string(lx, ll, lstart, err))
					return -1;
			} else if (c == ',' || c == ';') {
				struct tok *t = push(ll);

				t->kind = c == ',' ? T_COMMA : T_SEMI;
				t->s = xstrdup(c == ',' ? "," : ";", "reading a token");
				t->len = 1;
				t->width = 1;
				t->line = lx->line;
				t->col = (int)(lx->pos - lstart) + 1;
				lx->pos++;
			} else if ((unsigned char)c < 0x20 || c == 0x7f) {
				char f[16];

				snprintf(f, sizeof(f), "'\\x%02x'", (unsigned char)c);
				return lerr(lx, err, lx->line, (int)(lx->pos - lstart) + 1, f,
					    "a token");
			} else {
				size_t b = lx->pos;
				struct tok *t;

				while (lx->pos < lx->len) {
					c = lx->buf[lx->pos];
					if (blank(c) || c == '\n' || c == '#' || c == '"' ||
					    c == ',' || c == ';' || (unsigned char)c < 0x20 || c == 0x7f)
						break;
					if (c == '\\' && rest_empty(lx, lx->pos + 1))
						break;
					lx->pos++;
				}
				t = push(ll);
				t->kind = T_WORD;
				t->len = lx->pos - b;
				t->s = xmalloc(t->len + 1, "reading a token");
				memcpy(t->s, lx->buf + b, t->len);
				t->s[t->len] = 0;
				t->width = (int)t->len;
				t->line = lx->line;
				t->col = (int)(b - lstart) + 1;
			}
		}
		lx->eof_line = lx->line;
		lx->eof_col = (int)(lx->pos - lstart) + 1;
		if (lx->pos < lx->len) {	/* the '\n' */
			lx->pos++;
			lx->line++;
			lx->eof_line = lx->line;
			lx->eof_col = 1;
		}
		if (cont)
			continue;
		if (ll->n)
			return 1;
	}
	return ll->n ? 1 : 0;
}
