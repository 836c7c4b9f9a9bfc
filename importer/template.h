/* template: `{{ field | filter(arg) }}` templates, compiled once, rendered per occurrence. */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include "meeting.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Syntax: literal text with expressions in `{{ }}`. An expression is a field
 * (`summary`, `organizer.email`, `x['X-ANY']`) followed by filters separated by
 * `|`; a filter may take one argument in parentheses: a quoted string, a
 * number, or another field. The fields and filters are documented in
 * docs/mapping.md. Pure C, no allocation beyond the compiled form and the
 * scratch buffers of a template_env.
 */

struct template; /* opaque, compiled */

/* Where and why compiling failed. */
struct template_error {
	size_t offset; /* byte offset in the template text */
	char *message; /* owned: free() it */
};

enum template_mode {
	TEMPLATE_TEXT, /* literal text with {{ expressions }} */
	TEMPLATE_EXPR, /* one bare expression: "summary | lower" */
};

/*
 * Compile `text`. Returns the template, or NULL with *err filled (message
 * owned by the caller, offset into text). Unknown fields and filters are
 * errors that suggest the closest known name.
 */
struct template *template_compile(const char *text, enum template_mode mode,
				  struct template_error *err);
void template_free(struct template *t);
/* The text the template was compiled from (borrowed). */
const char *template_text(const struct template *t);

/* True when the template is exactly `{{ organizer.owner_id }}`. */
bool template_is_owner_id(const struct template *t);
/* True when the template has no expression; *text then gets the literal (borrowed). */
bool template_is_literal(const struct template *t, const char **text);

/*
 * Rendering context: set occ and key, then render any number of templates.
 * When occ changes, call template_env_init() again or clear time_ok[].
 */
struct template_env {
	const struct occurrence *occ;
	const char *key; /* occurrence_key() of occ, for the `key` field */
	struct sbuf scratch[3];
	/* a two-entry cache of formatted times (reset when occ changes) */
	int64_t time_t_[2];
	bool time_ok[2];
	int time_next;
	char time_buf[2][21];
};
void template_env_init(struct template_env *env);
void template_env_release(struct template_env *env);

/* Flags for template_render(). */
#define TEMPLATE_AUTOESCAPE 1u /* HTML-escape every expression that does not use `html` */

/* Append the rendering of t for env->occ to out. Never fails. */
void template_render(const struct template *t, struct template_env *env, unsigned flags,
		     struct sbuf *out);

/* Helpers the mapping shares. */

/*
 * Byte length of the longest prefix of s[0..len) that holds at most `max`
 * characters as HubSpot counts them (UTF-16 code units: an emoji counts 2) and
 * does not split a UTF-8 sequence.
 */
size_t text_prefix_len(const char *s, size_t len, size_t max);
/* Append s[0..len) HTML-escaped (& < > " '), newlines as <br>. */
void text_html_escape(struct sbuf *out, const char *s, size_t len);
/* Levenshtein distance (bytes), for "did you mean" suggestions. */
size_t text_edit_distance(const char *a, const char *b);
/* The candidate closest to `word` when close enough to be a likely typo, else NULL. */
const char *text_suggest(const char *word, const char *const *candidates, size_t n);

/* Known names (NULL-terminated), for documentation and tests. */
extern const char *const template_field_names[];
extern const char *const template_filter_names[];

#endif
