  {{name}}:
    build:
      context: .
      args:
        APP: {{name}}
    image: {{composeProject}}/{{name}}
    environment:
      PORT: "{{port}}"
      AMQP_URL: amqp://guest:guest@rabbitmq:5672
      DATABASE_URL: postgres://postgres:postgres@postgres:5432/{{name}}
      OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4318
      OTEL_SERVICE_NAME: {{name}}
      ADMIN_TOKEN: ${ADMIN_TOKEN:-} # the admin API and console at /admin
    ports:
      - "{{port}}:{{port}}"
    depends_on:
      rabbitmq:
        condition: service_healthy
      postgres:
        condition: service_healthy
      otel-collector:
        condition: service_started
    healthcheck:
      test:
        - "CMD"
        - "node"
        - "-e"
        - "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 20s
    restart: unless-stopped
    stop_grace_period: 30s
