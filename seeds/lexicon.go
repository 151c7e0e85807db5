package seeds

import _ "embed"

// Dictionary lists policy-domain words, one a line ('#' starts a comment):
// segment emits each longest match as a term beside the character bigrams.
//
//go:embed lexicon/dict.txt
var Dictionary string

// Synonyms lists groups of interchangeable policy words, one group a line,
// words separated by spaces, the canonical form first ('#' starts a comment).
//
//go:embed lexicon/synonyms.txt
var Synonyms string

// Intents maps what a question asks for (who qualifies, when, how, with which
// papers, whom to call) to the words policy texts title those parts with: one
// intent a line, a regular expression, a tab, the words ('#' starts a comment).
//
//go:embed lexicon/intents.txt
var Intents string

// Subjects lists who policy clauses are for — size classes, qualifications,
// industries and conditions — with the phrases that name them: one subject a
// line, tab-separated name, kind, value and phrases ('#' starts a comment;
// the file's head explains each kind).
//
//go:embed lexicon/subjects.txt
var Subjects string
