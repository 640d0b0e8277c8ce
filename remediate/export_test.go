package remediate

// Test seams.
func (q *Quarantine) SetForceCopy(b bool)          { q.forceCopy = b }
func (q *Quarantine) SetHook(h func(stage string)) { q.hook = h }
