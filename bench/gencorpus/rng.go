package main

// A small PRNG of our own (xoshiro256** seeded by splitmix64) so the corpus
// is byte-identical for the same flags on every Go version and architecture:
// math/rand's stream is not a promise, and the generator never uses floating
// point (FMA fusion may differ across architectures).

type rng struct{ s0, s1, s2, s3 uint64 }

// mix is the splitmix64 finalizer: a good 64-bit hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// seedOf derives a seed from a base and any number of integers.
func seedOf(base uint64, parts ...uint64) uint64 {
	h := mix(base)
	for _, p := range parts {
		h = mix(h ^ p)
	}
	return h
}

// seedStr derives a seed from a base and a string (FNV-1a, then mixed).
func seedStr(base uint64, s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return seedOf(base, h)
}

func newRNG(seed uint64) *rng {
	r := &rng{}
	r.reset(seed)
	return r
}

func (r *rng) reset(seed uint64) {
	seed = mix(seed)
	r.s0 = mix(seed)
	r.s1 = mix(r.s0)
	r.s2 = mix(r.s1)
	r.s3 = mix(r.s2)
	if r.s0|r.s1|r.s2|r.s3 == 0 {
		r.s0 = 1
	}
}

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

func (r *rng) u64() uint64 {
	res := rotl(r.s1*5, 7) * 9
	t := r.s1 << 17
	r.s2 ^= r.s0
	r.s3 ^= r.s1
	r.s1 ^= r.s2
	r.s0 ^= r.s3
	r.s2 ^= t
	r.s3 = rotl(r.s3, 45)
	return res
}

// intn returns a value in [0, n); n <= 0 returns 0.
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.u64() % uint64(n))
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// pct reports true with probability p/100.
func (r *rng) pct(p int) bool { return r.intn(100) < p }

// pick returns one element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// weighted returns an index into w chosen with probability w[i]/sum(w).
func (r *rng) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := r.intn(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// bucket is a size range [lo, hi] chosen with relative weight w.
type bucket struct{ w, lo, hi int }

// sizeFrom picks a bucket by weight, then a size uniformly inside it.
func (r *rng) sizeFrom(bs []bucket) int {
	w := make([]int, len(bs))
	for i, b := range bs {
		w[i] = b.w
	}
	b := bs[r.weighted(w)]
	return r.between(b.lo, b.hi)
}

// fill writes pseudo-random bytes into b.
func (r *rng) fill(b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		v := r.u64()
		b[i] = byte(v)
		b[i+1] = byte(v >> 8)
		b[i+2] = byte(v >> 16)
		b[i+3] = byte(v >> 24)
		b[i+4] = byte(v >> 32)
		b[i+5] = byte(v >> 40)
		b[i+6] = byte(v >> 48)
		b[i+7] = byte(v >> 56)
	}
	if i < len(b) {
		v := r.u64()
		for ; i < len(b); i++ {
			b[i] = byte(v)
			v >>= 8
		}
	}
}
