package staff

import (
	"context"
	"time"
)

// AuditEntry records one change made through the admin pages.
type AuditEntry struct {
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"` // upload, replace, retire, activate, reingest
	Target string    `json:"target"` // document ID
	Detail string    `json:"detail,omitempty"`
}

// AuditLog keeps who changed what.
type AuditLog interface {
	RecordAudit(ctx context.Context, e AuditEntry) error
	// AuditEntries returns the newest entries first, at most limit.
	AuditEntries(ctx context.Context, limit int) ([]AuditEntry, error)
}
