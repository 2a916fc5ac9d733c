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
	if (ll->n == ll->cap) {
		ll->cap = ll->cap ? 2 * ll->cap : 16;
		ll->t = realloc(ll->t, ll->cap * sizeof(*ll->t));
		if (!ll->t)
			abort();
	}
	memset(&ll->t[ll->n], 0, sizeof(ll->t[0]));
	return &ll->t[ll->n++];
}

/* Printable rendering of arbitrary bytes, for error messages. */
static void quote_bytes(char *out, size_t olen, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < olen; i++) {
		unsigned char c = s[i];

		if (i >= 40) {
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
	struct tok *t = push(ll);
	char *s = malloc(lx->len - start + 1);
	size_t n = 0;

	if (!s)
		abort();
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
			} else if (c == ',') {
				struct tok *t = push(ll);

				t->kind = T_COMMA;
				t->s = strdup(",");
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
					    c == ',' || (unsigned char)c < 0x20 || c == 0x7f)
						break;
					if (c == '\\' && rest_empty(lx, lx->pos + 1))
						break;
					lx->pos++;
				}
				t = push(ll);
				t->kind = T_WORD;
				t->len = lx->pos - b;
				t->s = strndup(lx->buf + b, t->len);
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
