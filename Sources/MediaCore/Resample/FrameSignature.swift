/// A small picture of a frame for telling near-duplicates apart (`--dedupe`): the mean luma of
/// each cell of a 16×16 grid. Encoder noise and grain average out inside a cell; a slide change,
/// a cut or motion moves many cells. ``distance(_:_:)`` is the mean absolute difference, in levels
/// of 255.
package enum FrameSignature {
    package static let grid = 16

    /// The signature of an upright frame (Y of YCbCr or gray; luma from RGB).
    package static func of(_ image: PixelImage) -> [UInt8] {
        let plane = image.planes[0]
        let width = plane.width, height = plane.height, channels = plane.channels
        var sums = [Int](repeating: 0, count: grid * grid), counts = [Int](repeating: 0, count: grid * grid)
        for y in 0..<height {
            let row = plane.row(y), gy = y * grid / height
            for x in 0..<width {
                let luma: Int
                if channels >= 3 {
                    let p = row + x * channels
                    luma = (77 * Int(p[0]) + 150 * Int(p[1]) + 29 * Int(p[2])) >> 8
                } else {
                    luma = Int(row[x])
                }
                let cell = gy * grid + x * grid / width
                sums[cell] += luma
                counts[cell] += 1
            }
        }
        return zip(sums, counts).map { UInt8($1 == 0 ? 0 : ($0 + $1 / 2) / $1) }
    }

    package static func distance(_ a: [UInt8], _ b: [UInt8]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        return Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count)
    }
}
