// Module resolution hook (see node20.mjs): "fs" imported by a conformance package (the release, or the
// pre-release installed as conformance-next) becomes fs-with-glob.mjs.
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  const fromSuite =
    parent.includes('/@modelcontextprotocol/conformance/') || parent.includes('/node_modules/conformance-next/');
  if (fromSuite && (specifier === 'fs' || specifier === 'node:fs')) {
    return { url: new URL('./fs-with-glob.mjs', import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
