import MediaCore

/// A walk over a PNG's chunk headers: IHDR facts, the APNG frame count and delays, and the
/// EXIF orientation. Chunk payloads other than IHDR, acTL, fcTL and eXIf are never read.
struct PNGChunks {
    var width = 0
    var height = 0
    var bitDepth = 0
    var colorType = 0
    var interlaced = false
    var animationFrames: Int?
    /// Sum of the fcTL delays, in units of 1/`delayUnits` s (exact; fractions are rare).
    private var delayTicks = 0
    private static let delayUnits = 27_720  // lcm(1...12) × 10: exact for common denominators
    var animationSeconds: Double { Double(delayTicks) / Double(Self.delayUnits) }
    var orientation: ExifOrientation?
    /// A gAMA, sRGB, iCCP or cHRM chunk says how the samples are encoded.
    var colorSpaceChunks = false

    static func scan(_ v: ByteView, maxFrames: Int) -> PNGChunks? {
        guard v.fourCC(12) == "IHDR", let w = v.u32be(16), let h = v.u32be(20),
              let depth = v.u8(24), let color = v.u8(25), let interlace = v.u8(28)
        else { return nil }
        var result = PNGChunks(width: Int(w), height: Int(h), bitDepth: Int(depth), colorType: Int(color), interlaced: interlace == 1)
        var offset = 8
        var seenFrames = 0
        while let length = v.u32be(offset).map(Int.init), let type = v.fourCC(offset + 4) {
            let body = offset + 8
            switch type {
            case "acTL":
                result.animationFrames = v.u32be(body).map(Int.init)
            case "fcTL":
                if let numerator = v.u16be(body + 20), let denominator = v.u16be(body + 22) {
                    // APNG: a zero denominator means 1/100 s.
                    let units = Int(denominator == 0 ? 100 : denominator)
                    result.delayTicks += (Int(numerator) * Self.delayUnits + units / 2) / units
                }
                seenFrames += 1
            case "gAMA", "sRGB", "iCCP", "cHRM":
                result.colorSpaceChunks = true
            case "eXIf" where result.orientation == nil:
                result.orientation = ExifReader.orientation(v.slice(body, length))
            case "IDAT" where result.animationFrames == nil, "IEND":
                return result  // a still image: nothing after the first IDAT matters here
            default:
                break
            }
            if seenFrames > maxFrames { return result }
            offset = body + length + 4
        }
        return result
    }

    var colorModel: String {
        switch colorType {
        case 0, 4: "gray"
        case 3: "palette"
        default: "rgb"
        }
    }
}
