import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses an SVG with Foundation's XMLParser and counts elements by name and by `class`.
final class XMLCounter: NSObject, XMLParserDelegate {
    private(set) var elements: [String: Int] = [:]
    private(set) var classes: [String: Int] = [:]
    private(set) var rootAttributes: [String: String] = [:]
    private(set) var texts: [String] = []
    private var current = ""
    private var inText = false
    private(set) var error: Error?

    /// Nil when the document is not well-formed XML.
    static func parse(_ svg: String) -> XMLCounter? {
        let counter = XMLCounter()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = counter
        return parser.parse() ? counter : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if elements.isEmpty { rootAttributes = attributes }
        elements[name, default: 0] += 1
        if let c = attributes["class"] { classes[c, default: 0] += 1 }
        if name == "text" || name == "title" { inText = true; current = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" || name == "title" { texts.append(current); inText = false }
    }

    func count(_ element: String) -> Int { elements[element] ?? 0 }
    func count(class c: String) -> Int { classes[c] ?? 0 }
}
