package policy

// Applicability is who a clause is for, read at ingest from its text and its
// document's title (enterprise.Read): the subjects it names and the
// conditions a profile cannot show. Industries limit a clause only where it
// says its subject is those industries' enterprises; named beside other
// subjects (加强制造业、小微企业、民营企业等重点领域信贷支持) or in passing
// (保障企业物流运输通畅) they are conditions to confirm. A clause without
// one names no enterprise it is for and is never matched to a profile.
type Applicability struct {
	// Subjects are alternatives: an enterprise that is any one of them is
	// meant (小微企业和个体工商户). When Required is set, the subject named
	// by the clause's heading is required on top (a 专精特新 measure).
	Subjects []Subject `json:"subjects"`
	// Required, when set, must hold besides any of Subjects.
	Required *Subject `json:"required,omitempty"`
	// Industries, when set, limits the clause to enterprises of one of
	// these 门类: the clause names its subject as those industries'
	// enterprises, the enumeration holding nothing else
	// (对住宿餐饮、文化旅游等行业企业…). Industries named beside other
	// subjects or in passing are Conditions instead.
	Industries []string `json:"industries,omitempty"`
	// IndustryBasis is the phrase Industries were read from.
	IndustryBasis string `json:"industry_basis,omitempty"`
	// Conditions are what the enterprise must confirm itself, each with the
	// phrase it was read from.
	Conditions []Condition `json:"conditions,omitempty"`
	// FromTitle is set when the subjects were read from the document's
	// title, the clause naming none itself.
	FromTitle bool `json:"from_title,omitempty"`
}

// Subject is one kind of enterprise a clause is for.
type Subject struct {
	Name string `json:"name"` // as in seeds/lexicon/subjects.txt: 小微企业, 个体工商户, …
	// Sizes are the size classes the subject covers (large, medium, small,
	// micro); empty for a qualification.
	Sizes []string `json:"sizes,omitempty"`
	// Qualification is the qualification the subject is; empty for a size.
	Qualification string `json:"qualification,omitempty"`
	// Basis is the phrase of the text the subject was read from.
	Basis string `json:"basis"`
}

// Condition is a condition a profile cannot show.
type Condition struct {
	Text  string `json:"text"`  // what to confirm
	Basis string `json:"basis"` // the text around the phrase it was read from
	// Industries are the 门类 an industry condition names: an enterprise of
	// one of them meets it, others must confirm it.
	Industries []string `json:"industries,omitempty"`
}
