// Package seeds embeds the corpus shipped with the binary: the default policy
// documents and the lexicon (domain dictionary and synonyms) used for Chinese
// segmentation.
package seeds

import "embed"

// Documents holds the default policy documents: the seed notice (*.txt at
// the top of this folder) and the national laws and regulations of laws/
// (their sources in laws/SOURCES.md, which ingestion skips).
//
//go:embed *.txt laws/*.md
var Documents embed.FS
