bash scripts/with-node.sh node dist/apps/{{name}}/src/main.js
