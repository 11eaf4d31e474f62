// Module resolution hook (registered by tap.mjs): 'uvu' is uvu-tap.mjs, except for
// uvu-tap.mjs itself, which gets the real uvu.
const WRAPPER = new URL('./uvu-tap.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'uvu' && context.parentURL !== WRAPPER) return { url: WRAPPER, shortCircuit: true };
  return next(specifier, context);
}
