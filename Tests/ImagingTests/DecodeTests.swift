// Decoding parity with Pillow: Image.open(p).convert("RGB").
import Foundation
import Imaging
import TestSupport
import Testing

@Suite("Decoding")
struct DecodeTests {
    @Test func manifestIsPresent() {
        #expect(!ImageFixtures.manifest.cases.isEmpty, "run Tests/Fixtures/gen_images.py")
        #expect(ImageFixtures.manifest.reference.transformers.hasPrefix("5."))
    }

    /// PNG: exact. JPEG: Pillow bundles libjpeg-turbo 3.2, the system has 2.1.5; both use the islow
    /// IDCT and fancy upsampling, so the expectation is also 0, and the tolerance is 0.
    @Test(arguments: ImageFixtures.manifest.cases)
    func decodedEqualsPillow(_ c: ImageManifest.Case) throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url(c.file))
        let expected = try ImageDecoder.decode(contentsOf: ImageFixtures.expectedURL(c.decoded))
        #expect(image.width == c.width && image.height == c.height)
        let diff = maxByteDifference(image.pixels, expected.pixels)
        #expect(diff == 0, "\(c.file) (\(c.format) \(c.pilMode)): max |diff| \(diff) vs Pillow")
    }

    /// Anchors the PNG path on raw bytes, since the other expectations are themselves PNG files.
    @Test func pngMatchesRawBytes() throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url("rgb_37x53.png"))
        let raw = try Data(contentsOf: ImageFixtures.expectedURL("rgb_37x53.png.decoded.rgb"))
        #expect(image.width == 37 && image.height == 53)
        #expect(image.pixels == [UInt8](raw))
    }

    /// Every (colour, alpha) pair blended onto white equals Pillow's alpha_composite.
    @Test func compositeOnWhiteEqualsPillow() throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url("alpha_grid_256x256.png"), alpha: .compositeOnWhite)
        let expected = try ImageDecoder.decode(contentsOf: ImageFixtures.expectedURL("alpha_grid_256x256.png.composite.png"))
        #expect(image.pixels == expected.pixels)
        let dropped = try ImageDecoder.decode(contentsOf: ImageFixtures.url("alpha_grid_256x256.png"))
        #expect(dropped[x: 0, y: 200, c: 0] == 200 && dropped[x: 0, y: 200, c: 1] == 55)  // R = c, G = 255 − c
    }

    /// Compositing only touches images that carry alpha.
    @Test func compositeLeavesOpaqueImagesAlone() throws {
        for file in ["rgb_37x53.png", "rgb_37x53.jpg", "gray_53x37.png"] {
            let a = try ImageDecoder.decode(contentsOf: ImageFixtures.url(file))
            let b = try ImageDecoder.decode(contentsOf: ImageFixtures.url(file), alpha: .compositeOnWhite)
            #expect(a == b, "\(file)")
        }
    }

    /// Pillow decodes a PNG whose IEND chunk is missing; so do we.
    @Test func pngWithoutIENDDecodes() throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url("missing_iend.png"))
        let expected = try ImageDecoder.decode(contentsOf: ImageFixtures.url("rgb_37x53.png"))
        #expect(image == expected)
    }

    @Test func formatComesFromSignatureNotName() throws {
        let bytes = try [UInt8](Data(contentsOf: ImageFixtures.url("rgb_37x53.jpg")))
        let viaName = try ImageDecoder.decode(bytes, name: "photo.png")
        let direct = try ImageDecoder.decode(contentsOf: ImageFixtures.url("rgb_37x53.jpg"))
        #expect(viaName == direct)
        #expect(try ImageDecoder.format(ofFileAt: ImageFixtures.url("rgb_37x53.png")) == .png)
        #expect(try ImageDecoder.format(ofFileAt: ImageFixtures.url("not_an_image.txt")) == nil)
    }

    @Test func dataAndByteArrayAgree() throws {
        let data = try Data(contentsOf: ImageFixtures.url("p_trns_80x60.png"))
        #expect(try ImageDecoder.decode(data) == (try ImageDecoder.decode([UInt8](data))))
    }
}
