package retrieval_test

import (
	"testing"

	"policybot/retrieval"
	"policybot/retrieval/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) retrieval.Store { return retrieval.NewMemoryStore() })
}
