// Babel plugin for Jest: rewrites `import.meta` in ES modules compiled to CommonJS. It refers only to the CommonJS
// wrapper's own `__filename` and `__dirname`, never to `require`, because some modules declare a local
// `const require = createRequire(import.meta.url)` that the CommonJS transform renames (and a reference to it from
// its own initialiser would be read before it exists).
module.exports = function importMetaToCommonJs({ types: t, template }) {
  const url = template.expression.ast`('file://' + encodeURI(__filename))`;
  // Only used by optional-package checks that the tests never reach.
  const resolve = template.expression
    .ast`((specifier) => { throw new Error('import.meta.resolve(' + specifier + ') is not available under Jest'); })`;
  return {
    name: 'import-meta-to-commonjs',
    visitor: {
      MetaProperty(path) {
        if (path.node.meta.name !== 'import' || path.node.property.name !== 'meta') return;
        const parent = path.parentPath;
        if (!parent.isMemberExpression() || parent.node.computed) {
          path.replaceWith(t.objectExpression([]));
          return;
        }
        const name = parent.node.property.name;
        if (name === 'url') parent.replaceWith(t.cloneNode(url));
        else if (name === 'filename') parent.replaceWith(t.identifier('__filename'));
        else if (name === 'dirname') parent.replaceWith(t.identifier('__dirname'));
        else if (name === 'resolve') parent.replaceWith(t.cloneNode(resolve));
        else parent.replaceWith(t.identifier('undefined'));
      },
    },
  };
};
