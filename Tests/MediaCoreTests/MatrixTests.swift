import Testing

@testable import MediaCore

@Suite("BT.709 → BT.601")
struct MatrixTests {
    /// Full-range YCbCr of an RGB colour under coefficients (kr, kb).
    func ycbcr(_ r: Double, _ g: Double, _ b: Double, kr: Double, kb: Double) -> [Double] {
        let y = kr * r + (1 - kr - kb) * g + kb * b
        return [y, 128 + (b - y) / (2 * (1 - kb)), 128 + (r - y) / (2 * (1 - kr))]
    }

    @Test func colorsMoveToTheirBT601Encoding() {
        let colors: [(Double, Double, Double)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (128, 128, 128), (200, 120, 40), (30, 90, 160)]
        for (r, g, b) in colors {
            let hd = ycbcr(r, g, b, kr: 0.2126, kb: 0.0722).map { UInt8(max(0, min(255, $0.rounded()))) }
            let planes = [Plane(width: 2, height: 2, channels: 1), Plane(width: 1, height: 1, channels: 1), Plane(width: 1, height: 1, channels: 1)]
            for i in 0..<4 { planes[0].base[i] = hd[0] }
            planes[1].base[0] = hd[1]
            planes[2].base[0] = hd[2]
            PixelImage(layout: .ycbcr, planes: planes).convertBT709ToBT601()
            let expected = ycbcr(r, g, b, kr: 0.299, kb: 0.114).map { max(0, min(255, $0)) }
            let got = [Double(planes[0].base[3]), Double(planes[1].base[0]), Double(planes[2].base[0])]
            for k in 0..<3 { #expect(abs(got[k] - expected[k]) <= 2, "\((r, g, b)) component \(k): \(got[k]) vs \(expected[k])") }
        }
    }
}
