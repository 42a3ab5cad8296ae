var e=`
html[data-color-mode="light"][data-theme~="light:dark"], [data-subtree-theme][data-color-mode="light"][data-theme~="light:dark"],
html[data-color-mode="dark"][data-theme~="dark:dark"], [data-subtree-theme][data-color-mode="dark"][data-theme~="dark:dark"] {
  color-scheme: dark;
  --ds-background-neutral-subtle-hovered: #BDBDBD0A;
  --ds-background-neutral-subtle-pressed: #CECED912;
  --ds-background-selected: #CECED912;
  --ds-background-selected-hovered: #E3E4F21F;
  --ds-background-selected-pressed: #E5E9F640;
  --ds-background-selected-bold: #CECFD2;
  --ds-background-selected-bold-hovered: #BFC1C4;
  --ds-background-selected-bold-pressed: #A9ABAF;
  --ds-border-selected: #CECFD2;
  --ds-text-selected: #CECFD2;
  --ds-icon-selected: #CECFD2;
  --ds-blanket-selected: #CECED912;
}
`;export{e as default};