/* yamldoc: a YAML file loaded into nodes that know their line and column (libyaml). */
#include "yamldoc.h"
#include "util.h"

#include <string.h>
#include <yaml.h>

/* Nesting is checked on the event stream first: the loader has no limit and 100,000 levels take
 * a minute. Syntax errors are left to the loader. */
static int check_depth(const char *path, const char *text, size_t len, int max_depth)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, ret = 0;
	bool end = false;

	if (!yaml_parser_initialize(&p))
		return 0;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!end && yaml_parser_parse(&p, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > max_depth) {
				ret = error("%s:%zu:%zu: nested deeper than %d levels", path,
					    (size_t)ev.start_mark.line + 1,
					    (size_t)ev.start_mark.column + 1, max_depth);
				end = true;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
			   ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_STREAM_END_EVENT) {
			end = true;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ret;
}

static enum ynode_style style_of(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		return YSTYLE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return YSTYLE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE:
		return YSTYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE:
		return YSTYLE_FOLDED;
	default:
		return YSTYLE_PLAIN;
	}
}

/* libyaml's node index (1-based) to ours; NULL when out of range (never, from the loader). */
static struct ynode *node_at(struct ydoc *d, int idx)
{
	if (idx < 1 || (size_t)idx > d->nnodes)
		return NULL;
	return &d->nodes[idx - 1];
}

static void convert(yaml_document_t *yd, struct ydoc *d)
{
	size_t n = (size_t)(yd->nodes.top - yd->nodes.start);

	d->nnodes = n;
	d->nodes = n ? xcalloc(n, sizeof(*d->nodes)) : NULL;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *y = &yd->nodes.start[i];
		struct ynode *o = &d->nodes[i];

		o->line = y->start_mark.line;
		o->col = y->start_mark.column;
		if (y->type == YAML_SCALAR_NODE) {
			o->type = YNODE_SCALAR;
			o->scalar =
				xstrndup((const char *)y->data.scalar.value, y->data.scalar.length);
			o->style = style_of(y->data.scalar.style);
		} else if (y->type == YAML_SEQUENCE_NODE) {
			size_t k = 0;

			o->type = YNODE_SEQUENCE;
			o->nitems =
				(size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
			o->items = o->nitems ? xcalloc(o->nitems, sizeof(*o->items)) : NULL;
			for (yaml_node_item_t *it = y->data.sequence.items.start;
			     it < y->data.sequence.items.top; it++) {
				struct ynode *item = node_at(d, *it);

				if (item)
					o->items[k++] = item;
			}
			o->nitems = k;
		} else {
			size_t k = 0;

			o->type = YNODE_MAPPING;
			o->npairs =
				(size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
			o->pairs = o->npairs ? xcalloc(o->npairs, sizeof(*o->pairs)) : NULL;
			for (yaml_node_pair_t *p = y->data.mapping.pairs.start;
			     p < y->data.mapping.pairs.top; p++) {
				struct ynode *key = node_at(d, p->key),
					     *value = node_at(d, p->value);

				if (key && value) {
					o->pairs[k].key = key;
					o->pairs[k++].value = value;
				}
			}
			o->npairs = k;
		}
	}
}

int ydoc_load(const char *path, const char *text, size_t len, int max_depth, struct ydoc *doc)
{
	yaml_parser_t parser;
	yaml_document_t yd;
	yaml_node_t *root;

	memset(doc, 0, sizeof(*doc));
	if (check_depth(path, text, len, max_depth) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser))
		return error("%s: cannot initialise the YAML parser", path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &yd)) {
		error("%s:%zu:%zu: invalid YAML: %s%s%s", path,
		      (size_t)parser.problem_mark.line + 1, (size_t)parser.problem_mark.column + 1,
		      parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
		      parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	convert(&yd, doc);
	root = yaml_document_get_root_node(&yd);
	doc->root = root ? &doc->nodes[root - yd.nodes.start] : NULL;
	yaml_document_delete(&yd);
	yaml_parser_delete(&parser);
	return 0;
}

void ydoc_release(struct ydoc *doc)
{
	for (size_t i = 0; i < doc->nnodes; i++) {
		free(doc->nodes[i].scalar);
		free(doc->nodes[i].items);
		free(doc->nodes[i].pairs);
	}
	free(doc->nodes);
	memset(doc, 0, sizeof(*doc));
}

const char *ynode_scalar(const struct ynode *n)
{
	return n->type == YNODE_SCALAR ? n->scalar : NULL;
}

bool ynode_is_null(const struct ynode *n)
{
	const char *s = ynode_scalar(n);

	return s && n->style == YSTYLE_PLAIN &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL"));
}

const char *ynode_kind(const struct ynode *n)
{
	if (n->type == YNODE_MAPPING)
		return "a mapping";
	if (n->type == YNODE_SEQUENCE)
		return "a list";
	return "a scalar";
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (map->type != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->npairs; i++) {
		const char *name = ynode_scalar(map->pairs[i].key);

		if (name && !strcmp(name, key))
			return map->pairs[i].value;
	}
	return NULL;
}

const char *ydoc_libyaml_version(void)
{
	return yaml_get_version_string();
}
