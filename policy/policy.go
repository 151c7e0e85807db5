// Package policy holds the domain types of policybot — policy documents, their
// citable clauses and the agencies responsible for them — and the parser that
// turns real Chinese policy texts (plain text, Markdown, HTML; UTF-8 or GBK)
// into those types.
package policy

// Kinds of document.
const (
	KindLaw        = "law"        // 法律 (NPC / NPCSC)
	KindRegulation = "regulation" // 行政法规, 地方性法规, 条例, 办法 passed by a people's congress or 国务院令
	KindNotice     = "notice"     // 通知, 意见, 措施 and other normative documents
)

// ParserVersion changes whenever the parser's output for the same bytes may
// change; ingestion then parses unchanged files again.
const ParserVersion = 10

// RegionNational is the region of documents issued by national bodies.
const RegionNational = "全国"

// Document is one policy document with its clauses.
type Document struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Number  string   `json:"number"` // 文号, e.g. 津中小企组〔2022〕2号; empty when the document has none
	Issuer  string   `json:"issuer"`
	Date    string   `json:"date"`   // YYYY-MM-DD, YYYY-MM or YYYY; empty when unknown
	Region  string   `json:"region"` // 天津市, 北京市海淀区, …; 全国 for national bodies
	Kind    string   `json:"kind"`
	Source  string   `json:"source,omitempty"` // file name or URL it was read from
	Clauses []Clause `json:"clauses"`
	// Validity is what the text says about when it applies.
	Validity Validity `json:"validity"`
	// Warnings are what the parser noticed but could not fix (shown in the admin preview).
	Warnings []string `json:"warnings,omitempty"`
}

// Clause is the smallest citable unit of a document: an article (第二十三条),
// a numbered measure (（四）, 三、, 1.) or, in an unnumbered document, a paragraph.
type Clause struct {
	ID    string   `json:"id"`    // stable: the document ID and the clause's ordinal
	Label string   `json:"label"` // （四）, 第二十三条, 三、; empty for a plain paragraph
	Path  []string `json:"path"`  // headings above and including this clause, e.g. ["二、加大融资支持力度", "（四）加强信贷支持"]
	Title string   `json:"title"` // lead phrase, e.g. 加强信贷支持; may be empty
	Text  string   `json:"text"`  // body without the agency note
	// Agencies responsible for the clause, lead agencies first.
	Agencies []string `json:"agencies"`
	// LeadAgencies is the subset of Agencies named as 牵头单位 (or "列第一位者为牵头单位").
	LeadAgencies []string `json:"lead_agencies,omitempty"`
	// Role is empty for a measure, an article or a paragraph of a prose
	// document; RolePreamble or RoleClosing for the text a numbered
	// document has above its first heading or after its last clause.
	Role string `json:"role,omitempty"`
	// Validity is set when the clause states its own term (实施期限至2020年12月31日).
	Validity *Validity `json:"validity,omitempty"`
	// Applicability is who the clause is for, when it names anyone; set at
	// ingest (enterprise.Read), not by the parser.
	Applicability *Applicability `json:"applicability,omitempty"`
}

// Clause roles.
const (
	RolePreamble = "preamble"
	RoleClosing  = "closing"
)

// Meta is a Document without its clauses: what a search hit carries.
type Meta struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Number string `json:"number"`
	Issuer string `json:"issuer"`
	Date   string `json:"date"`
	Region string `json:"region"`
	Kind   string `json:"kind,omitempty"`
	// Validity is the document's status on the day asked about; set by the
	// searcher (nil in what stores return).
	Validity *ValidityStatus `json:"validity,omitempty"`
}

// Meta returns the document's metadata.
func (d *Document) Meta() Meta {
	return Meta{ID: d.ID, Title: d.Title, Number: d.Number, Issuer: d.Issuer, Date: d.Date, Region: d.Region, Kind: d.Kind}
}
