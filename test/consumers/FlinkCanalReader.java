// Flink's canal-json format (flink-json, CanalJsonDeserializationSchema) as a Flink job reads a
// topic: one deserializer per table, built from the table's Flink column types, each record
// offered to all of them (a record of another table is filtered out by the deserializer itself).
// Run by test/integration/consumers/flink-canal-json.test.ts with the jars from Maven Central.
//
// stdin:  TABLE <name> <JSON [{"name":..,"type":"<Flink SQL type>"}]>   (first, once per table)
//         MSG <base64 of a Kafka message value>
// stdout: one JSON line per MSG: {"rows":[{"table","kind","values":[text|null]}]} or {"error": ..}
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.json.canal.CanalJsonDeserializationSchema;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.apache.flink.table.types.utils.TypeConversions;
import org.apache.flink.util.Collector;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;

public class FlinkCanalReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  private record Table(String name, List<LogicalType> types, CanalJsonDeserializationSchema schema) {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    List<Table> tables = new ArrayList<>();
    ClassLoader loader = FlinkCanalReader.class.getClassLoader();
    DeserializationSchema.InitializationContext context = new DeserializationSchema.InitializationContext() {
      public MetricGroup getMetricGroup() { return new UnregisteredMetricsGroup(); }
      public UserCodeClassLoader getUserCodeClassLoader() { return SimpleUserCodeClassLoader.create(loader); }
    };
    for (String line; (line = in.readLine()) != null; ) {
      if (line.startsWith("TABLE ")) {
        String[] parts = line.split(" ", 3);
        List<LogicalType> types = new ArrayList<>();
        List<org.apache.flink.table.api.DataTypes.Field> fields = new ArrayList<>();
        for (JsonNode column : JSON.readTree(parts[2])) {
          LogicalType type = LogicalTypeParser.parse(column.get("type").asText(), loader);
          types.add(type);
          fields.add(DataTypes.FIELD(column.get("name").asText(), TypeConversions.fromLogicalToDataType(type)));
        }
        CanalJsonDeserializationSchema schema = CanalJsonDeserializationSchema
            .builder(DataTypes.ROW(fields), Collections.emptyList(), TypeInformation.of(RowData.class))
            .setTable(Pattern.quote(parts[1]))
            .build();
        schema.open(context);
        tables.add(new Table(parts[1], types, schema));
      } else if (line.startsWith("MSG ")) {
        byte[] message = Base64.getDecoder().decode(line.substring(4));
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> reply = new LinkedHashMap<>();
        try {
          for (Table table : tables) table.schema.deserialize(message, collector(row -> rows.add(rendered(table, row))));
          reply.put("rows", rows);
        } catch (Exception e) {
          reply.put("error", e.getMessage() + (e.getCause() != null ? ": " + e.getCause().getMessage() : ""));
        }
        out.println(JSON.writeValueAsString(reply));
      }
    }
  }

  private static Collector<RowData> collector(Consumer<RowData> sink) {
    return new Collector<RowData>() {
      public void collect(RowData row) { sink.accept(row); }
      public void close() {}
    };
  }

  private static Map<String, Object> rendered(Table table, RowData row) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < table.types.size(); i++) {
      Object value = RowData.createFieldGetter(table.types.get(i), i).getFieldOrNull(row);
      values.add(value == null ? null : text(table.types.get(i), value));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("table", table.name);
    out.put("kind", row.getRowKind().shortString());
    out.put("values", values);
    return out;
  }

  /** The value Flink holds, as text a test can compare with the source's. */
  private static String text(LogicalType type, Object value) {
    switch (type.getTypeRoot()) {
      case DECIMAL: return ((DecimalData) value).toBigDecimal().toPlainString();
      case DATE: return LocalDate.ofEpochDay((Integer) value).toString();
      case TIME_WITHOUT_TIME_ZONE: return LocalTime.ofNanoOfDay((Integer) value * 1_000_000L).format(CLOCK);
      case TIMESTAMP_WITHOUT_TIME_ZONE: return ((TimestampData) value).toLocalDateTime().format(TIMESTAMP);
      default: return value.toString();
    }
  }
}
