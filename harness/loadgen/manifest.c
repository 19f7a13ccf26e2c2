/* The file set's MANIFEST.tsv (path, size, CRC-32 per file), loaded for checking reply bodies. */
#define _GNU_SOURCE
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mf_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int mf_index(struct mf_manifest *m)
{
	size_t cap = 64;
	while (cap < m->n * 2)
		cap *= 2;
	m->table = malloc(cap * sizeof *m->table);
	if (!m->table)
		return -1;
	memset(m->table, 0xff, cap * sizeof *m->table);
	m->mask = cap - 1;
	for (size_t i = 0; i < m->n; i++) {
		size_t at = mf_hash(m->entries[i].path) & m->mask;
		while (m->table[at] >= 0)
			at = (at + 1) & m->mask;
		m->table[at] = (int32_t)i;
	}
	return 0;
}

int mf_load(const char *root, struct mf_manifest *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	char path[4096];
	snprintf(path, sizeof path, "%s/MANIFEST.tsv", root);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: fopen: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t linecap = 0, cap = 0;
	long lineno = 0;
	int rc = -1;
	while (getline(&line, &linecap, f) >= 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char name[4096];
		unsigned long long size;
		unsigned long crc;
		if (sscanf(line, "%4095[^\t]\t%llu\t%lu", name, &size, &crc) != 3 || crc > 0xffffffffUL) {
			snprintf(err, errlen, "%s:%ld: want path<TAB>size<TAB>crc32", path, lineno);
			goto out;
		}
		if (m->n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct mf_entry *e = realloc(m->entries, cap * sizeof *e);
			if (!e)
				goto oom;
			m->entries = e;
		}
		struct mf_entry *e = &m->entries[m->n];
		e->path = strdup(name);
		if (!e->path)
			goto oom;
		e->size = size;
		e->crc32 = (uint32_t)crc;
		m->n++;
	}
	if (mf_index(m) < 0)
		goto oom;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
out:
	free(line);
	fclose(f);
	if (rc < 0)
		mf_free(m);
	return rc;
}

const struct mf_entry *mf_find(const struct mf_manifest *m, const char *uri)
{
	if (!m->table)
		return NULL;
	while (*uri == '/')
		uri++;
	for (size_t at = mf_hash(uri) & m->mask; m->table[at] >= 0; at = (at + 1) & m->mask)
		if (strcmp(m->entries[m->table[at]].path, uri) == 0)
			return &m->entries[m->table[at]];
	return NULL;
}

void mf_free(struct mf_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	free(m->table);
	memset(m, 0, sizeof *m);
}
