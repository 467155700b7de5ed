// The one shim: the WebExtension API object in Firefox (browser) and Chrome (chrome).
// Both return promises in MV3; nothing else in the extension touches these globals.
export const browser = globalThis.browser ?? globalThis.chrome;
