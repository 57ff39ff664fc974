// esbuild bundles imported CSS as text (js/widget/build.mjs); styles.ts puts it in the page.
declare module '*.css' {
  const text: string;
  export default text;
}
