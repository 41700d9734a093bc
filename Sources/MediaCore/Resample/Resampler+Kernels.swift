#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

// The hot loops. Each kernel has an SSE2 form (x86-64's baseline, so no CPU dispatch) and a
// scalar form; both compute the same integers: Σ weight·sample in 32 bits, rounded, >> 14, clamped.
extension Resampler {
    /// Output rows `rows` of a vertical resize: row y = Σₖ w[y][k] · input row (start[y] + k), written
    /// to output row y − `outputOffset` (a band buffer starts at its first row).
    static func verticalRows(_ input: Plane, _ output: Plane, _ table: FilterTable, _ rows: Range<Int>, outputOffset: Int = 0) {
        let rowBytes = input.width * input.channels  // the samples of a row (its stride may be longer)
        // Each output row's input rows, by `Plane.row` (a ring plane's rows are not evenly spaced).
        let taps = UnsafeMutablePointer<UnsafePointer<UInt8>>.allocate(capacity: Swift.max(table.stride, 1))
        defer { taps.deallocate() }
        table.weights.withUnsafeBufferPointer { weights in
            for y in rows {
                let start = Int(table.starts[y]), count = Int(table.counts[y])
                for k in 0..<count { taps[k] = UnsafePointer(input.row(start + k)) }
                let w = weights.baseAddress! + y * table.stride
                let destination = output.row(y - outputOffset)
                var x = 0
                #if arch(x86_64)
                x = verticalSSE2(taps, length: rowBytes, count: count, weights: w, destination: destination)
                #endif
                while x < rowBytes {  // the scalar form, and the tail of the SIMD one
                    var acc = rounding
                    for k in 0..<count { acc &+= Int32(w[k]) &* Int32(taps[k][x]) }
                    destination[x] = clamp(acc)
                    x += 1
                }
            }
        }
    }

    /// Input rows `rows` of a horizontal resize, written to output row y − `outputOffset`: per output
    /// pixel, a dot product of its weights with the input run it covers (per channel).
    static func horizontalRows(_ input: Plane, _ output: Plane, _ table: FilterTable, _ rows: Range<Int>, outputOffset: Int = 0) {
        let c = input.channels
        table.weights.withUnsafeBufferPointer { weights in
            for y in rows {
                let source = input.row(y), destination = output.row(y - outputOffset)
                for x in 0..<output.width {
                    let start = Int(table.starts[x]), count = Int(table.counts[x])
                    let w = weights.baseAddress! + x * table.stride
                    #if arch(x86_64)
                    if c == 1 {
                        destination[x] = clamp(dotSSE2(source + start, w, count))
                        continue
                    }
                    if c <= 4 {
                        pixelSSE2(source + start * c, channels: c, w, count, destination + x * c)
                        continue
                    }
                    #endif
                    for ch in 0..<c {
                        var acc = rounding
                        for k in 0..<count { acc &+= Int32(w[k]) &* Int32(source[(start + k) * c + ch]) }
                        destination[x * c + ch] = clamp(acc)
                    }
                }
            }
        }
    }
}

#if arch(x86_64)
extension Resampler {
    @inline(__always)
    static func load16(_ p: UnsafePointer<UInt8>) -> __m128i {
        _mm_loadu_si128(UnsafeRawPointer(p).assumingMemoryBound(to: __m128i.self))
    }

    @inline(__always)
    static func load4(_ p: UnsafePointer<UInt8>) -> __m128i {
        _mm_cvtsi32_si128(Int32(bitPattern: UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)))
    }

    /// Two 16-bit weights side by side in every 32-bit lane, the layout `pmaddwd` pairs with.
    @inline(__always)
    static func pair(_ a: Int16, _ b: Int16) -> __m128i {
        _mm_set1_epi32(Int32(bitPattern: UInt32(UInt16(bitPattern: a)) | UInt32(UInt16(bitPattern: b)) << 16))
    }

    /// Vertical kernel, 16 bytes of the row per step (`taps`: the `count` input rows): rows are
    /// taken two at a time and their bytes interleaved into 16-bit pairs, so one `pmaddwd` adds
    /// w₀·a + w₁·b for four samples.
    /// Returns how many bytes it wrote (a multiple of 16).
    static func verticalSSE2(_ taps: UnsafePointer<UnsafePointer<UInt8>>, length: Int, count: Int, weights w: UnsafePointer<Int16>,
                             destination: UnsafeMutablePointer<UInt8>) -> Int {
        let zero = _mm_setzero_si128()
        let rounding = _mm_set1_epi32(Resampler.rounding)
        var x = 0
        while x + 16 <= length {
            var a0 = rounding, a1 = rounding, a2 = rounding, a3 = rounding
            var k = 0
            while k < count {
                let r0 = load16(taps[k] + x)
                let r1 = k + 1 < count ? load16(taps[k + 1] + x) : zero
                let weights = pair(w[k], k + 1 < count ? w[k + 1] : 0)
                let lo0 = _mm_unpacklo_epi8(r0, zero), hi0 = _mm_unpackhi_epi8(r0, zero)
                let lo1 = _mm_unpacklo_epi8(r1, zero), hi1 = _mm_unpackhi_epi8(r1, zero)
                a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_unpacklo_epi16(lo0, lo1), weights))
                a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_unpackhi_epi16(lo0, lo1), weights))
                a2 = _mm_add_epi32(a2, _mm_madd_epi16(_mm_unpacklo_epi16(hi0, hi1), weights))
                a3 = _mm_add_epi32(a3, _mm_madd_epi16(_mm_unpackhi_epi16(hi0, hi1), weights))
                k += 2
            }
            let shift = FilterTable.precision
            let lo = _mm_packs_epi32(_mm_srai_epi32(a0, shift), _mm_srai_epi32(a1, shift))
            let hi = _mm_packs_epi32(_mm_srai_epi32(a2, shift), _mm_srai_epi32(a3, shift))
            _mm_storeu_si128(UnsafeMutableRawPointer(destination + x).assumingMemoryBound(to: __m128i.self), _mm_packus_epi16(lo, hi))
            x += 16
        }
        return x
    }

    /// Σ w[k]·s[k] over `count` taps, eight per `pmaddwd`. Reads up to 7 bytes past the window;
    /// their weights are the table's zero padding, and ``PixelStorage/slack`` keeps them in bounds.
    @inline(__always)
    static func dotSSE2(_ s: UnsafePointer<UInt8>, _ w: UnsafePointer<Int16>, _ count: Int) -> Int32 {
        let zero = _mm_setzero_si128()
        var acc = zero
        var k = 0
        while k < count {
            let samples = _mm_unpacklo_epi8(_mm_loadl_epi64(UnsafeRawPointer(s + k).assumingMemoryBound(to: __m128i.self)), zero)
            let weights = _mm_loadu_si128(UnsafeRawPointer(w + k).assumingMemoryBound(to: __m128i.self))
            acc = _mm_add_epi32(acc, _mm_madd_epi16(samples, weights))
            k += 8
        }
        let lanes = unsafeBitCast(acc, to: SIMD4<Int32>.self)
        return lanes[0] &+ lanes[1] &+ lanes[2] &+ lanes[3] &+ Resampler.rounding
    }

    /// One output pixel of 3 or 4 channels: two taps per step, the two pixels' bytes interleaved
    /// (r₀ r₁ g₀ g₁ b₀ b₁ a₀ a₁) so `pmaddwd` yields w₀·p₀ + w₁·p₁ per channel. A 3-channel pixel
    /// is read as 4 bytes; the extra lane is ignored.
    @inline(__always)
    static func pixelSSE2(_ s: UnsafePointer<UInt8>, channels c: Int, _ w: UnsafePointer<Int16>, _ count: Int,
                          _ out: UnsafeMutablePointer<UInt8>) {
        let zero = _mm_setzero_si128()
        var acc = _mm_set1_epi32(Resampler.rounding)
        var k = 0
        while k < count {
            let p0 = load4(s + k * c)
            let p1 = k + 1 < count ? load4(s + (k + 1) * c) : zero
            let interleaved = _mm_unpacklo_epi8(_mm_unpacklo_epi8(p0, p1), zero)
            acc = _mm_add_epi32(acc, _mm_madd_epi16(interleaved, pair(w[k], k + 1 < count ? w[k + 1] : 0)))
            k += 2
        }
        let packed = _mm_packus_epi16(_mm_packs_epi32(_mm_srai_epi32(acc, FilterTable.precision), zero), zero)
        let bytes = UInt32(bitPattern: _mm_cvtsi128_si32(packed))
        out[0] = UInt8(truncatingIfNeeded: bytes)
        out[1] = UInt8(truncatingIfNeeded: bytes >> 8)
        out[2] = UInt8(truncatingIfNeeded: bytes >> 16)
        if c == 4 { out[3] = UInt8(truncatingIfNeeded: bytes >> 24) }
    }
}
#endif
