package tally

import (
	"hash/maphash"
	"math/bits"
	"time"
)

// inlineAddrs is how many IPv4 addresses a sender's record holds itself:
// most senders use a few (home, office, phone).
const inlineAddrs = 3

// spilled in record.naddrs: the sender has more addresses than its record
// holds, all in its table's more[addrs[0]].
const spilled = 0xff

// record is what a message touches of its sender, one cache line (64
// bytes) in its table's array of records: the start of its name, its
// message count and its first addresses.
type record struct {
	id       int32 // 1 + the sender's number; 0: an empty slot
	nameLen  int32
	head     [24]byte // the start of the name, zero-padded
	messages int
	// The Unix second of the sender's first line: a message logged after
	// it cannot be the first, and needs no look at the sender's details.
	firstSec int64
	naddrs   uint8 // addresses in addrs, or spilled
	unknown  uint8 // bit i: addrs[i] was logged without reverse DNS
	addrs    [inlineAddrs]uint32
}

// details are the rest of what is known of a sender.
type details struct {
	name       string
	first      string
	firstTime  time.Time
	recipients int
	webmail    int
	hash       uint64 // of name
	pos        int32  // where its record is in senderTable.recs
}

// addV4 records address a in r if it is there or fits, and reports
// whether it did.
func (r *record) addV4(a uint32, unknown bool) bool {
	if r.naddrs == spilled {
		return false
	}
	u := uint8(b2u(unknown))
	for i := range r.naddrs {
		if r.addrs[i] == a {
			r.unknown |= u << i
			return true
		}
	}
	if int(r.naddrs) == len(r.addrs) {
		return false
	}
	r.addrs[r.naddrs] = a
	r.unknown |= u << r.naddrs
	r.naddrs++
	return true
}

// eachV4 calls fn with the addresses r holds (none when spilled).
func (r *record) eachV4(fn func(a uint32, unknown bool)) {
	if r.naddrs == spilled {
		return
	}
	for i, a := range r.addrs[:r.naddrs] {
		fn(a, r.unknown>>i&1 == 1)
	}
}

// senderTable holds a table's senders, numbered from 0 in the order they
// were added. Their records are the slots of an open-addressing hash table
// (linear probing, at most 3/4 full) keyed by name with a seeded hash, so
// that finding a sender, comparing its name (the first 24 bytes are in the
// record) and counting its message touch one cache line or two adjacent
// ones. Their details stay in place, by number.
type senderTable struct {
	recs    []record // len a power of two, or 0
	shift   uint     // 64 - log2(len(recs))
	seed    maphash.Seed
	details [][]details // by number, in chunks that never move
	n       int
}

// detailsChunk is how many senders' details are allocated at a time.
const detailsChunk = 512

func (x *senderTable) len() int { return x.n }

// at returns sender id's record and details.
func (x *senderTable) at(id int32) (*record, *details) {
	d := &x.details[id/detailsChunk][id%detailsChunk]
	return &x.recs[d.pos], d
}

// detailsOf returns the details of r's sender.
func (x *senderTable) detailsOf(r *record) *details {
	id := r.id - 1
	return &x.details[id/detailsChunk][id%detailsChunk]
}

// find returns the record of the sender called name, or nil.
func (x *senderTable) find(name string) *record {
	if x.n == 0 {
		return nil
	}
	mask := uint64(len(x.recs) - 1)
	for i := maphash.String(x.seed, name) >> x.shift; ; i = (i + 1) & mask {
		r := &x.recs[i]
		if r.id == 0 {
			return nil
		}
		if x.is(r, name) {
			return r
		}
	}
}

// is reports whether r's sender is called name.
func (x *senderTable) is(r *record, name string) bool {
	if int(r.nameLen) != len(name) {
		return false
	}
	n := min(len(name), len(r.head))
	return string(r.head[:n]) == name[:n] && (n == len(name) || x.detailsOf(r).name[n:] == name[n:])
}

// add adds a sender called name (not in x; kept, not copied) and returns
// its record. Records met before may have moved.
func (x *senderTable) add(name string) *record {
	if 4*(x.n+1) > 3*len(x.recs) {
		x.rehash(max(2*len(x.recs), 64))
	}
	if x.n%detailsChunk == 0 {
		x.details = append(x.details, make([]details, detailsChunk))
	}
	id := int32(x.n)
	x.n++
	d := &x.details[id/detailsChunk][id%detailsChunk]
	d.name, d.hash = name, maphash.String(x.seed, name)
	d.pos = x.place(d.hash)
	r := &x.recs[d.pos]
	r.id, r.nameLen = id+1, int32(len(name))
	copy(r.head[:], name)
	return r
}

// place returns the empty slot where a name of hash h goes.
func (x *senderTable) place(h uint64) int32 {
	mask := uint64(len(x.recs) - 1)
	i := h >> x.shift
	for x.recs[i].id != 0 {
		i = (i + 1) & mask
	}
	return int32(i)
}

// rehash moves the records to a new array of size slots (a power of two).
func (x *senderTable) rehash(size int) {
	if x.recs == nil {
		x.seed = maphash.MakeSeed()
	}
	old := x.recs
	x.recs = make([]record, size)
	x.shift = uint(65 - bits.Len(uint(size)))
	for id := range int32(x.n) { // in order of the details, which hold the hashes
		d := &x.details[id/detailsChunk][id%detailsChunk]
		r := &old[d.pos]
		d.pos = x.place(d.hash)
		x.recs[d.pos] = *r
	}
}
