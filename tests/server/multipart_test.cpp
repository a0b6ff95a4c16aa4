// The streaming multipart/form-data parser (server/multipart.h): boundaries split at every byte
// offset, CRLF handling, quoted and path-carrying file names, and malformed bodies.
#include "server/multipart.h"

#include <gtest/gtest.h>

#include <string>

namespace tributary {
namespace {

struct Parsed {
  Status status;
  std::string file;
  std::string filename;
  std::string content_type;
  std::map<std::string, std::string> fields;
};

//! Feeds `body` in pieces of `step` bytes (0: at once), then finishes.
Parsed Parse(const std::string& boundary, const std::string& body, size_t step = 0,
             size_t max_field = MultipartParser::kDefaultMaxFieldBytes) {
  Parsed out;
  MultipartParser parser(
      boundary,
      [&](std::string_view bytes) {
        out.file.append(bytes);
        return Status::Ok();
      },
      max_field);
  if (step == 0) step = body.size() + 1;
  for (size_t i = 0; i < body.size() && out.status.ok(); i += step) {
    out.status = parser.Feed(std::string_view(body).substr(i, step));
  }
  if (out.status.ok()) out.status = parser.Finish();
  out.filename = parser.filename();
  out.content_type = parser.file_content_type();
  out.fields = parser.fields();
  return out;
}

const std::string kBoundary = "----trib7MA4YWxkTrZu0gW";

std::string Body(const std::string& file_content) {
  return "--" + kBoundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"name\"\r\n"
         "\r\n"
         "sales\r\n"
         "--" +
         kBoundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"file\"; filename=\"dir/sub/sales; 2026.csv\"\r\n"
         "Content-Type: text/csv\r\n"
         "\r\n" +
         file_content + "\r\n--" + kBoundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"format\"\r\n"
         "\r\n"
         "csv\r\n"
         "--" +
         kBoundary + "--\r\n";
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data;boundary=\"a b;c\""), "a b;c");
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").ok());
  EXPECT_FALSE(MultipartBoundary("text/csv; boundary=x").ok());
  EXPECT_TRUE(IsMultipartFormData("multipart/form-data; boundary=x"));
  EXPECT_FALSE(IsMultipartFormData("application/octet-stream"));
}

TEST(Multipart, FileNameOnlyKeepsTheLastComponent) {
  EXPECT_EQ(FileNameOnly("a.csv"), "a.csv");
  EXPECT_EQ(FileNameOnly("/etc/x/a.csv"), "a.csv");
  EXPECT_EQ(FileNameOnly("C:\\Users\\me\\a b.csv"), "a b.csv");
  EXPECT_EQ(FileNameOnly("../.."), "");
  EXPECT_EQ(FileNameOnly("dir/"), "");
}

TEST(Multipart, ParsesFieldsAndTheFilePart) {
  // Content with CR, LF, dashes and a near-boundary, all of which must stay in the file.
  std::string content = "id,name\r\n1,a\n\r\n--" + kBoundary.substr(0, 10) + "\r\r\n-\r\n--x";
  Parsed p = Parse(kBoundary, Body(content));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.file, content);
  EXPECT_EQ(p.filename, "sales; 2026.csv");
  EXPECT_EQ(p.content_type, "text/csv");
  EXPECT_EQ(p.fields.size(), 2u);
  EXPECT_EQ(p.fields["name"], "sales");
  EXPECT_EQ(p.fields["format"], "csv");
}

TEST(Multipart, EverySplitOffsetGivesTheSameResult) {
  std::string content;
  for (int i = 0; i < 300; ++i) content.push_back(static_cast<char>(i * 7));
  content += "\r\n--" + kBoundary.substr(0, kBoundary.size() - 1) + "\r\n";
  const std::string body = Body(content);
  for (size_t split = 1; split < body.size(); ++split) {
    // Two pieces split at `split`, then byte-sized pieces of the same body.
    Parsed p;
    MultipartParser parser(kBoundary, [&](std::string_view b) {
      p.file.append(b);
      return Status::Ok();
    });
    p.status = parser.Feed(std::string_view(body).substr(0, split));
    if (p.status.ok()) p.status = parser.Feed(std::string_view(body).substr(split));
    if (p.status.ok()) p.status = parser.Finish();
    ASSERT_TRUE(p.status.ok()) << "split at " << split << ": " << p.status.ToString();
    ASSERT_EQ(p.file, content) << "split at " << split;
    ASSERT_EQ(parser.fields().at("format"), "csv") << "split at " << split;
  }
  Parsed bytewise = Parse(kBoundary, body, 1);
  ASSERT_TRUE(bytewise.status.ok()) << bytewise.status.ToString();
  EXPECT_EQ(bytewise.file, content);
  Parsed threes = Parse(kBoundary, body, 3);
  EXPECT_EQ(threes.file, content);
}

TEST(Multipart, PreambleEpilogueAndTransportPadding) {
  std::string body = "This is a preamble\r\n--" + kBoundary +
                     "  \r\n"
                     "content-disposition: form-data; name=file; filename=a.tsv\r\n"
                     "\r\n"
                     "x\ty\r\n--" +
                     kBoundary + "--\r\nepilogue ignored";
  Parsed p = Parse(kBoundary, body, 2);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.file, "x\ty");
  EXPECT_EQ(p.filename, "a.tsv");
}

TEST(Multipart, FirstPartWithAFilenameIsTheFile) {
  std::string body =
      "--" + kBoundary +
      "\r\n"
      "Content-Disposition: form-data; name=\"upload\"; filename=\"C:\\\\x\\\\b.csv\"\r\n"
      "\r\n"
      "data\r\n--" +
      kBoundary + "--";
  Parsed p = Parse(kBoundary, body);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.file, "data");
  EXPECT_EQ(p.filename, "b.csv");
  EXPECT_TRUE(p.fields.empty());
}

TEST(Multipart, EmptyFilePart) {
  std::string body = "--" + kBoundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--" + kBoundary +
                     "--\r\n";
  Parsed p = Parse(kBoundary, body);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.file, "");
  EXPECT_EQ(p.filename, "");
}

TEST(Multipart, MalformedBodiesAreRefusedNamingTheProblem) {
  // No final boundary.
  std::string cut = Body("abc");
  cut.resize(cut.size() - (kBoundary.size() + 6));
  Parsed p = Parse(kBoundary, cut);
  EXPECT_EQ(p.status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(p.status.message().find("final boundary"), std::string::npos) << p.status.message();

  // No file part.
  std::string fields_only = "--" + kBoundary +
                            "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--" +
                            kBoundary + "--\r\n";
  p = Parse(kBoundary, fields_only);
  EXPECT_EQ(p.status.message(),
            "the multipart body has no file part; send the file in a part named 'file'");

  // A field above the limit.
  std::string big = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"big\"\r\n\r\n" +
                    std::string(100, 'x') + "\r\n--" + kBoundary + "--\r\n";
  p = Parse(kBoundary, big, 7, /*max_field=*/64);
  EXPECT_EQ(p.status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(p.status.message().find("'big'"), std::string::npos) << p.status.message();

  // A part without Content-Disposition.
  std::string no_disposition =
      "--" + kBoundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + kBoundary + "--\r\n";
  p = Parse(kBoundary, no_disposition);
  EXPECT_NE(p.status.message().find("Content-Disposition"), std::string::npos)
      << p.status.message();

  // Garbage after a boundary.
  std::string garbage = "--" + kBoundary + "xyz\r\n\r\n";
  p = Parse(kBoundary, garbage);
  EXPECT_EQ(p.status.code(), ErrorCode::kInvalidArgument);

  // Two file parts.
  std::string two =
      "--" + kBoundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; filename=a\r\n\r\n1\r\n--" + kBoundary +
      "\r\nContent-Disposition: form-data; name=\"other\"; filename=b\r\n\r\n2\r\n--" + kBoundary +
      "--\r\n";
  p = Parse(kBoundary, two);
  EXPECT_NE(p.status.message().find("more than one file part"), std::string::npos)
      << p.status.message();

  // Not multipart at all.
  p = Parse(kBoundary, "just,a,csv\n1,2,3\n");
  EXPECT_EQ(p.status.code(), ErrorCode::kInvalidArgument);
}

TEST(Multipart, SinkErrorsStopTheParse) {
  MultipartParser parser(kBoundary, [](std::string_view) { return Internal("disk full"); });
  Status st = parser.Feed(Body(std::string(1000, 'a')));
  EXPECT_EQ(st.code(), ErrorCode::kInternal);
  EXPECT_EQ(parser.Feed("more").code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace tributary
