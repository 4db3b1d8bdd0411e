<?xml version="1.0" encoding="UTF-8"?>
<!-- Indexing MARCXML (UNIMARC or MARC 21) for Zebra's DOM filter, in the "magic element"
     format (Zebra manual, "Canonical Indexing Format"). Index names are Bib-1 names
     (tab/bib1.att) so CQL (cql2pqf.txt) and Z39.50 use attributes reach the same registers.
     Types: w = words, p = whole phrase, 0 = exact key, s = sort (metrobib.idx). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:m="http://www.loc.gov/MARC21/slim"
    xmlns:z="http://indexdata.com/zebra-2.0">
  <xsl:output indent="yes" method="xml" version="1.0" encoding="UTF-8"/>

  <xsl:template match="text()"/>

  <xsl:template match="/m:record">
    <xsl:variable name="id" select="normalize-space(m:controlfield[@tag='001'])"/>
    <z:record>
      <!-- The 001 is the record's identity: indexing it again replaces it. -->
      <xsl:if test="$id != '' and not(contains($id, ' '))">
        <xsl:attribute name="z:id"><xsl:value-of select="$id"/></xsl:attribute>
      </xsl:if>
      <z:index name="Local-number:0 Local-number:w">
        <xsl:value-of select="$id"/>
      </z:index>
      <xsl:apply-templates/>
    </z:record>
  </xsl:template>

  <!-- Title: UNIMARC 200 $a $e $i, MARC 21 245 $a $b $p. -->
  <xsl:template match="m:datafield[@tag='200' or @tag='245']">
    <z:index name="Title:w Title:p Any:w">
      <xsl:for-each select="m:subfield[contains('abeip', @code)]">
        <xsl:if test="position() > 1"><xsl:text> </xsl:text></xsl:if>
        <xsl:value-of select="."/>
      </xsl:for-each>
    </z:index>
    <z:index name="Title:s">
      <xsl:value-of select="m:subfield[@code='a']"/>
    </z:index>
  </xsl:template>

  <!-- Authors: UNIMARC 700-712, MARC 21 100-111 and 700-711. -->
  <xsl:template match="m:datafield[@tag='100' or @tag='110' or @tag='111'
                                   or (@tag &gt;= 700 and @tag &lt;= 712)]">
    <!-- UNIMARC 100 is coded data, not a name. -->
    <xsl:if test="@tag != '100' or ../m:datafield[@tag='245']">
      <z:index name="Author:w Author:p Any:w">
        <xsl:value-of select="m:subfield[@code='a']"/>
        <xsl:if test="m:subfield[@code='b']">
          <xsl:text> </xsl:text><xsl:value-of select="m:subfield[@code='b']"/>
        </xsl:if>
      </z:index>
    </xsl:if>
  </xsl:template>

  <!-- Subjects: 6XX in both formats. -->
  <xsl:template match="m:datafield[starts-with(@tag, '6')]">
    <z:index name="Subject-heading:w Subject-heading:p Any:w">
      <xsl:for-each select="m:subfield[contains('abcdxyz', @code)]">
        <xsl:if test="position() > 1"><xsl:text> </xsl:text></xsl:if>
        <xsl:value-of select="."/>
      </xsl:for-each>
    </z:index>
  </xsl:template>

  <!-- ISBN: UNIMARC 010 $a, MARC 21 020 $a (MARC 21 010 is the LCCN); hyphens dropped so
       both spellings match. -->
  <xsl:template match="m:datafield[@tag='010' and not(../m:datafield[@tag='245'])]/m:subfield[@code='a']
                       | m:datafield[@tag='020']/m:subfield[@code='a']">
    <z:index name="ISBN:0">
      <xsl:value-of select="translate(normalize-space(substring-before(concat(., ' '), ' ')), '-', '')"/>
    </z:index>
  </xsl:template>

  <!-- Publisher: UNIMARC 210 $c, MARC 21 260/264 $b. -->
  <xsl:template match="m:datafield[@tag='210']/m:subfield[@code='c']
                       | m:datafield[@tag='260' or @tag='264']/m:subfield[@code='b']">
    <z:index name="Publisher:w Any:w"><xsl:value-of select="."/></z:index>
  </xsl:template>

  <!-- Everything else still reaches the "any" register. -->
  <xsl:template match="m:datafield">
    <z:index name="Any:w">
      <xsl:for-each select="m:subfield">
        <xsl:if test="position() > 1"><xsl:text> </xsl:text></xsl:if>
        <xsl:value-of select="."/>
      </xsl:for-each>
    </z:index>
    <xsl:apply-templates select="m:subfield"/>
  </xsl:template>
</xsl:stylesheet>
