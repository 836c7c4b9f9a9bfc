/* yamldoc: a YAML file loaded into nodes that know their line and column (libyaml). */
#ifndef YAMLDOC_H
#define YAMLDOC_H

/*
 * The only module that includes <yaml.h>: the mapping (mapping.c) and the
 * configuration (config.c) read their files through it. A document is loaded
 * whole into an array of nodes; an alias is the node it names (shared, not
 * copied), so a reader that follows aliases must bound what it reads itself.
 * Lines and columns are 0-based; messages print them + 1 ("file:3:7: ...").
 */

#include <stdbool.h>
#include <stddef.h>

enum ynode_type { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };
enum ynode_style { YSTYLE_PLAIN, YSTYLE_SINGLE, YSTYLE_DOUBLE, YSTYLE_LITERAL, YSTYLE_FOLDED };

struct ynode_pair {
	struct ynode *key, *value;
};

struct ynode {
	enum ynode_type type;
	size_t line, col; /* where the node starts (0-based) */
	char *scalar; /* YNODE_SCALAR: the value (NUL-terminated), else NULL */
	enum ynode_style style; /* YNODE_SCALAR */
	struct ynode **items; /* YNODE_SEQUENCE */
	size_t nitems;
	struct ynode_pair *pairs; /* YNODE_MAPPING, in document order */
	size_t npairs;
};

struct ydoc {
	struct ynode *nodes; /* every node of the document */
	size_t nnodes;
	struct ynode *root; /* NULL: an empty document */
};

/*
 * Load `text` (len bytes) into *doc. Refuses nesting deeper than max_depth
 * before loading (libyaml has no limit of its own). Returns 0, or -1 after
 * "error: PATH:LINE:COL: invalid YAML: ..." (doc is then empty).
 */
int ydoc_load(const char *path, const char *text, size_t len, int max_depth, struct ydoc *doc);
void ydoc_release(struct ydoc *doc);

/* The scalar's text, or NULL for a list or a mapping. */
const char *ynode_scalar(const struct ynode *n);
/* A plain empty, "~" or "null" scalar. */
bool ynode_is_null(const struct ynode *n);
/* "a mapping", "a list", "a scalar". */
const char *ynode_kind(const struct ynode *n);
/* The value of `key` in a mapping node (the first), or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* The libyaml version in use (runtime; borrowed). */
const char *ydoc_libyaml_version(void);

#endif
